/** Headless runner: `npm run graph -- run <graph.json> ...` runs a graph in the worker engine. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssue } from '../graph/errors';
import { startNodeEngine } from '../host/node-client';
import { proxy } from 'comlink';
import type { NodeEvent } from '../engine/events';
import { headlessDevice, parseRunArgs, UsageError, USAGE } from './args';
import { applySets } from '../engine/overrides';
import { extractGraph, isPng, PNG_GRAPH_KEYWORD, PngGraphError } from '../graph/png-graph';
import { cliPolicy, userValues } from '../host/access';
import { checkAgainstPicture, type PictureCheck } from './picture-check';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseRunArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  let text: string;
  let picturePng: Uint8Array | undefined;
  try {
    const bytes = new Uint8Array(await readFile(args.file));
    // a PNG the product wrote carries the graph that made it
    if (isPng(bytes)) {
      const inside = extractGraph(bytes);
      if (inside === null) {
        console.error(`error: ${args.file} is a PNG that carries no ${PNG_GRAPH_KEYWORD} graph`);
        return 2;
      }
      text = inside;
      picturePng = bytes;
    } else {
      text = new TextDecoder().decode(bytes);
    }
  } catch (e) {
    if (e instanceof PngGraphError) {
      console.error(`error: ${args.file}: ${e.message}`);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException).code;
    console.error(`error: cannot read ${args.file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`);
    return 2;
  }
  // a graph reads only the bundled models, its own folder, --allow-path folders, URLs with --allow-url,
  // and what the user typed in --set (src/host/access.ts)
  const device = headlessDevice(args.device);
  const engine = startNodeEngine({
    modelsDir: args.models,
    native: args.native || args.device !== undefined,
    device,
    access: cliPolicy(
      args.file,
      args.allowPaths,
      args.allowUrl,
      userValues(args.sets.map((s) => s.value)),
      args.allowHub,
    ),
  });
  try {
    const api = engine.api;
    const loaded = await api.loadGraph(text);
    if (!loaded.ok) {
      console.error(`error: ${args.file} cannot be loaded:`);
      for (const issue of loaded.issues) console.error(`  ${formatIssue(issue)}`);
      return 2;
    }
    // a model that differs from the graph's lock fails its loader, unless --unlock: then it is said and used
    if (args.unlock) {
      await api.setLockPolicy('ignore');
      for (const p of await api.checkModelLock())
        console.error(`note: node "${p.nodeId}": ${p.message} (--unlock: running with the model here)`);
    }
    // placeholders open; only the runs that need them fail, naming them
    for (const issue of loaded.placeholders)
      console.error(`note: ${formatIssue(issue)} (kept as in the file: it opened as a placeholder)`);
    const catalog = new Map((await api.catalog()).map((n) => [n.type, n]));
    const nodeTypes = new Map(loaded.graph.nodes.map((n) => [n.id, n.type]));
    const problem = await applySets(api, catalog, nodeTypes, args.sets);
    if (problem) {
      console.error(`error: ${problem}`);
      return 2;
    }
    const onEvent = (e: NodeEvent) => {
      if (args.json) return;
      if (e.status === 'done') console.error(`  ${e.nodeId}: done in ${e.ms!.toFixed(0)} ms`);
      else if (e.status === 'cached') console.error(`  ${e.nodeId}: cached`);
      else if (e.status === 'error') console.error(`  ${e.nodeId}: error: ${e.message}`);
      else if (e.status === 'cancelled') console.error(`  ${e.nodeId}: cancelled`);
    };
    const result = await api.run({ targets: args.targets }, proxy(onEvent));
    for (const n of result.notices ?? []) console.error(`note: ${n}`);

    const report: Record<string, unknown> = {};
    const written: string[] = [];
    if (args.out) await mkdir(args.out, { recursive: true });
    for (const node of loaded.graph.nodes) {
      const r = result.nodes[node.id];
      if (!r) continue;
      const entry: Record<string, unknown> = {
        type: node.type,
        status: r.status,
        ms: Math.round(r.ms * 100) / 100,
        cached: r.cached,
      };
      if (r.message) entry.message = r.message;
      if (r.origin) entry.origin = r.origin;
      if (r.notes) entry.notes = r.notes;
      if (r.status === 'done' || r.status === 'cached') {
        const outputs: Record<string, unknown> = {};
        const def = catalog.get(node.type)!;
        const imagePorts = Object.entries(def.outputs)
          .filter(([, t]) => t === 'Image')
          .map(([p]) => p);
        for (const s of await api.summaries(node.id)) {
          const o: Record<string, unknown> = {};
          if (s.shape) o.shape = s.shape;
          if (s.value !== undefined && s.kind !== 'codes') o.value = s.value;
          if (s.stats && s.shape && s.shape.length <= 2 && s.shape.reduce((a, b) => a * b, 1) <= 16) {
            o.value = Array.from((await api.tensor(node.id, s.port)).data as Float32Array);
          }
          outputs[s.port] = o;
          if (args.out && imagePorts.includes(s.port) && s.shape) {
            const n = s.shape[0]!;
            const base = s.port === imagePorts[0] ? node.id : `${node.id}.${s.port}`;
            for (let i = 0; i < n; i++) {
              const file = join(args.out, n === 1 ? `${base}.png` : `${base}-${i}.png`);
              await writeFile(file, await api.imagePng(node.id, s.port, i));
              written.push(file);
            }
          }
        }
        entry.outputs = outputs;
      }
      report[node.id] = entry;
    }
    // a PNG's recipe against this run's, said before its picture is compared (--compare)
    let check: PictureCheck | undefined;
    if (picturePng) {
      check = await checkAgainstPicture(api, {
        file: args.file,
        png: picturePng,
        graph: loaded.graph,
        catalog,
        compare: args.compare,
      });
      for (const line of check.lines) console.error(line);
    }
    if (args.json) {
      console.log(
        JSON.stringify(
          {
            ok: result.ok,
            ms: Math.round(result.ms),
            ran: result.ran,
            fromCache: result.fromCache,
            failed: result.failed,
            nodes: report,
            files: written,
            ...(check ? { recipe: check.report } : {}),
          },
          null,
          2,
        ),
      );
    } else {
      console.error(
        `${result.ok ? 'ok' : 'failed'}: ${result.ran} nodes run, ${result.fromCache} from cache, ${result.failed} ` +
          `failed, ${result.ms.toFixed(0)} ms`,
      );
      for (const f of written) console.log(f);
      // how text was read (the caption a word-level model read), once per text
      const said = new Set<string>();
      for (const [id, r] of Object.entries(result.nodes))
        for (const n of r.notes ?? []) {
          const where = n.origin ? `node "${n.origin.nodeId}", ${n.origin.field}` : `node "${id}", ${n.field ?? ''}`;
          if (!said.has(`${where}: ${n.message}`)) console.error(`note: ${where}: ${n.message}`);
          said.add(`${where}: ${n.message}`);
        }
    }
    if (!result.ok) {
      for (const [id, r] of Object.entries(result.nodes))
        if (r.status === 'error' && !r.message?.startsWith('not run'))
          console.error(
            `error: node "${id}": ${r.message}` +
              (r.origin ? ` (typed in node "${r.origin.nodeId}", ${r.origin.field})` : ''),
          );
      return 1;
    }
    if (check?.problem) {
      console.error(`error: ${check.problem}`);
      return 2;
    }
    return check?.differs ? 1 : 0;
  } finally {
    await engine.terminate();
  }
}

const argv = process.argv.slice(2);
const command =
  argv[0] === 'sweep'
    ? import('./sweep').then((m) => m.sweepMain(argv.slice(1)))
    : argv[0] === 'diff'
      ? import('./diff').then((m) => m.diffMain(argv.slice(1)))
      : argv[0] === 'lock'
        ? import('./lock').then((m) => m.lockMain(argv.slice(1)))
        : main(argv);
command.then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
