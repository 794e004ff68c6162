import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseManifest, type Manifest } from '../../src/models/runtime/manifest';

/** Runs a program to its end: its stdout and stderr, or a rejection (carrying them) when it fails. */
export const run = promisify(execFile);
/** The repository's root folder. */
export const root = new URL('../..', import.meta.url).pathname;
/** The Python that runs training/ in the tests. */
export const PYTHON = '/usr/bin/python3';

/**
 * A command line's flags by name: a value follows its flag (a list's values all follow it, as argparse's nargs
 * reads them), true is a switch given alone, and false or undefined leaves the flag out.
 */
export type Flags = Record<string, string | number | boolean | ReadonlyArray<string | number> | undefined>;

/** The flags as argv, in the order given: { steps: 2, 'from-scratch': true } is --steps 2 --from-scratch. */
export function argv(flags: Flags): string[] {
  return Object.entries(flags).flatMap(([name, value]) => {
    if (value === undefined || value === false) return [];
    if (value === true) return [`--${name}`];
    return [`--${name}`, ...(Array.isArray(value) ? value : [value]).map(String)];
  });
}

/** `python -m module [args...] --flags` in the repository (or in `cwd`). */
export function py(module: string, flags: Flags = {}, opts: { args?: string[]; cwd?: string } = {}) {
  return run(PYTHON, ['-m', module, ...(opts.args ?? []), ...argv(flags)], { cwd: opts.cwd ?? root });
}

/** `python -c code [args...]` in the repository (or in `cwd`); code given as lines runs as those lines. */
export function pyCode(code: string | string[], opts: { args?: string[]; cwd?: string } = {}) {
  const text = typeof code === 'string' ? code : code.join('\n');
  return run(PYTHON, ['-c', text, ...(opts.args ?? [])], { cwd: opts.cwd ?? root });
}

/**
 * A temporary folder holding a tiny ShapesWorld dataset written by the product's own generator
 * (src/world/dataset-cli.ts, given these flags): { dir, data }.
 */
export async function tinyDataset(prefix: string, flags: Flags, file = 'tiny.bin') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const data = join(dir, file);
  await run('npx', ['tsx', 'src/world/dataset-cli.ts', ...argv({ ...flags, out: data })], { cwd: root });
  return { dir, data };
}

/**
 * A copy of training/'s code in dir/training, without the folders named in `skip` (local datasets and runs can
 * hold gigabytes): the repository a run there sees.
 */
export async function trainingTree(dir: string, skip: string[]): Promise<string> {
  const training = join(dir, 'training');
  const code = `ls | grep -vx '${skip.join('\\|')}'`;
  await run('sh', ['-c', `mkdir -p '${training}' && cd '${join(root, 'training')}' && cp -r $(${code}) '${training}'`]);
  return training;
}

/** The manifest an export wrote into a models folder. */
export function readManifest(models: string): Manifest {
  return parseManifest(JSON.parse(readFileSync(join(models, 'manifest.json'), 'utf8')));
}
