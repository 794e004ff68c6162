/**
 * `npm run graph -- lock <graph.json>...`: writes into each graph file the models its loaders open here (its
 * model lock: id, sha256, size, source), whatever its lock said before, so the graph says what it is made with
 * here. Run it after changing a graph's models on purpose (a retrained bundled model, another manifest). A loader
 * that fails keeps what the lock said for it and is reported. Exit 0 when every file was locked, 1 when a loader
 * failed, 2 for bad input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { formatIssue } from '../graph/errors';
import { serializeGraph } from '../graph/validate';
import { cliPolicy } from '../host/access';
import { startNodeEngine } from '../host/node-client';
import { UsageError } from './args';

export const LOCK_USAGE =
  'usage: npm run graph -- lock <graph.json>... [--models <dir>] [--allow-path <dir>]... [--allow-hub]';

export async function lockMain(argv: string[]): Promise<number> {
  const files: string[] = [];
  const allowPaths: string[] = [];
  let models: string | undefined;
  let allowHub = false;
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const next = () => {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
        return v;
      };
      if (a === '--models') models = next();
      else if (a === '--allow-path') allowPaths.push(next());
      else if (a === '--allow-hub') allowHub = true;
      else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
      else files.push(a);
    }
    if (!files.length) throw new UsageError('no graph file given');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\n${LOCK_USAGE}`);
    return 2;
  }
  let code = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const c = (e as NodeJS.ErrnoException).code;
      console.error(`error: cannot read ${file}: ${c === 'ENOENT' ? 'no such file' : (c ?? 'unreadable')}`);
      return 2;
    }
    const engine = startNodeEngine({ modelsDir: models, access: cliPolicy(file, allowPaths, false, [], allowHub) });
    try {
      // what the loaders open here, whatever the file's lock said (a retrained model is accepted this way)
      const r = await engine.api.lockModels(text, { relock: true });
      if (!r.ok) {
        console.error(`error: ${file} cannot be loaded:`);
        for (const issue of r.issues) console.error(`  ${formatIssue(issue)}`);
        return 2;
      }
      for (const issue of r.failed) console.error(`error: ${file}: ${formatIssue(issue)}`);
      if (r.failed.length) code = 1;
      await writeFile(file, serializeGraph(r.graph));
      const ids = (r.graph.models ?? []).map((m) => `${m.id} ${m.sha256.slice(0, 12)}…`);
      console.log(
        `${file}: ${ids.length} model${ids.length === 1 ? '' : 's'}${ids.length ? ` (${ids.join(', ')})` : ''}`,
      );
    } finally {
      await engine.terminate();
    }
  }
  return code;
}
