/**
 * `npm run graph -- sweep <graph.json> --grid <node>.<param>=<values> [--grid ...] --out <dir>
 *   [--queue <redis-url>] [--concurrency <n>] [--json] [--models <dir>]`
 * One job per point of the grid's cross product, run locally on a pool of engines or, with
 * --queue, on BullMQ workers (`npm run worker`). Results in <dir>/results.jsonl, images under
 * <dir>/images, every picture with its parameters in <dir>/contact-sheet.png.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { formatIssue } from '../graph/errors';
import { GridError, gridPoints, parseGridAxis, type GridAxis } from '../queue/grid';
import { JobFailure, loadJob, type JobImage, type JobPayload } from '../queue/job';
import { EnginePool, runLocal } from '../queue/local';
import { probeRedis, RedisUnreachable, submitAndFollow } from '../queue/bullmq';
import { MAX_SHEET_TILES, SweepResults } from '../queue/results';
import { deviceArg, headlessDevice, UsageError } from './args';
import { cliPolicy, userValues } from '../host/access';
import { parseParamRef } from '../engine/overrides';
import { extractSweep } from '../engine/sweep';
import { sweepSheetPng } from '../engine/sweep-sheet';
import { extractGraph, isPng, PngGraphError } from '../graph/png-graph';
import type { Device } from '../models/runtime/device-node';

export const SWEEP_USAGE =
  'usage: npm run graph -- sweep <graph.json> --grid <nodeId>.<param>=<a,b,c | @file | lo..hi> [--grid ...] --out ' +
  '<dir> [--queue <redis-url>] [--concurrency <n>] [--json] [--models <dir>] [--allow-path <dir>]... [--allow-url] ' +
  '[--allow-hub] [--device cpu|cuda]';

interface SweepArgs {
  file: string;
  grid: string[];
  out: string;
  queue?: string;
  concurrency: number;
  json: boolean;
  models?: string;
  allowPaths: string[];
  allowUrl: boolean;
  allowHub: boolean;
  device?: Device;
}

function parseSweepArgs(argv: string[]): SweepArgs {
  const a: Partial<SweepArgs> & { grid: string[]; allowPaths: string[] } = {
    grid: [],
    concurrency: 1,
    json: false,
    allowPaths: [],
    allowUrl: false,
    allowHub: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--grid') a.grid.push(next());
    else if (arg.startsWith('--grid=')) a.grid.push(arg.slice(7));
    else if (arg === '--out') a.out = next();
    else if (arg === '--queue') a.queue = next();
    else if (arg === '--models') a.models = next();
    else if (arg === '--json') a.json = true;
    else if (arg === '--allow-path') a.allowPaths.push(next());
    else if (arg === '--allow-url') a.allowUrl = true;
    else if (arg === '--allow-hub') a.allowHub = true;
    else if (arg === '--device') a.device = deviceArg(next());
    else if (arg === '--concurrency') {
      const v = next(),
        n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64)
        throw new UsageError(`--concurrency must be an integer from 1 to 64, got "${v}"`);
      a.concurrency = n;
    } else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else if (!a.file) a.file = arg;
    else throw new UsageError(`unexpected argument "${arg}"`);
  }
  if (!a.file) throw new UsageError('no graph file given');
  if (!a.out) throw new UsageError('no --out folder given');
  if (a.queue && !/^rediss?:\/\//.test(a.queue))
    throw new UsageError(`--queue must be a redis:// or rediss:// URL, got "${a.queue}"`);
  return a as SweepArgs;
}

export async function sweepMain(argv: string[]): Promise<number> {
  let args: SweepArgs, axes: GridAxis[];
  let bytes: Buffer;
  try {
    args = parseSweepArgs(argv);
    axes = args.grid.map((g) => parseGridAxis(g, (p) => readFileSync(p, 'utf8')));
  } catch (e) {
    if (e instanceof UsageError || e instanceof GridError) {
      console.error(`error: ${e.message}${e instanceof UsageError ? `\n${SWEEP_USAGE}` : ''}`);
      return 2;
    }
    throw e;
  }
  try {
    bytes = readFileSync(args.file);
  } catch (e) {
    console.error(
      `error: cannot read ${args.file}: ` +
        `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code}`,
    );
    return 2;
  }
  // a grid PNG (the editor's Save PNG, or grid.png here) carries its graph and its sweep: --grid replaces the latter
  let graph: string;
  if (isPng(bytes)) {
    let carried: { graph: string | null; axes: GridAxis[] | null };
    try {
      carried = { graph: extractGraph(bytes), axes: extractSweep(bytes) };
    } catch (e) {
      if (!(e instanceof PngGraphError)) throw e;
      console.error(`error: ${args.file} ${e.message}`);
      return 2;
    }
    if (carried.graph === null) {
      console.error(`error: ${args.file} is a PNG that carries no graph`);
      return 2;
    }
    graph = carried.graph;
    if (!axes.length && carried.axes) axes = carried.axes;
  } else graph = bytes.toString('utf8');
  if (!axes.length) {
    console.error(`error: no --grid given${isPng(bytes) ? ' (and the PNG carries no sweep)' : ''}\n${SWEEP_USAGE}`);
    return 2;
  }
  // local jobs read what `graph run` would let this graph read; queued jobs, what each worker's flags allow
  const pool = new EnginePool({
    modelsDir: args.models,
    access: cliPolicy(
      args.file,
      args.allowPaths,
      args.allowUrl,
      userValues(axes.flatMap((x) => x.values)),
      args.allowHub,
    ),
    device: headlessDevice(args.device),
  });
  try {
    // everything is checked, and every job named by its Merkle key, before anything runs or is queued
    const points = (() => {
      try {
        return gridPoints(axes);
      } catch (e) {
        if (e instanceof GridError) return e;
        throw e;
      }
    })();
    if (points instanceof GridError) {
      console.error(`error: ${points.message}`);
      return 2;
    }
    let catalog = await pool.catalog();
    const jobs: Array<{ key: string; payload: JobPayload }> = [];
    const problem = await pool.withEngine(async (engine) => {
      const loaded = await engine.api.loadGraph(graph);
      if (!loaded.ok)
        return `${args.file} cannot be loaded:\n${loaded.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`;
      // the graph's subgraph types, listed by the engine once the graph is loaded
      if (loaded.graph.subgraphs && Object.keys(loaded.graph.subgraphs).length)
        catalog = new Map((await engine.api.catalog()).map((n) => [n.type, n]));
      for (const params of points) {
        try {
          jobs.push({ key: (await loadJob(engine.api, catalog, { graph, params })).key, payload: { graph, params } });
        } catch (e) {
          if (e instanceof JobFailure) return e.message;
          throw e;
        }
      }
      return null;
    });
    if (problem) {
      console.error(`error: ${problem}`);
      return 2;
    }
    if (args.queue) {
      try {
        await probeRedis(args.queue);
      } catch (e) {
        if (e instanceof RedisUnreachable) {
          console.error(`error: ${e.message}`);
          return 2;
        }
        throw e;
      }
    }
    const results = new SweepResults(args.out);
    const byKey = new Map(jobs.map((j) => [j.key, j]));
    // results.jsonl holds each value as its param's type (seed 3, not "3")
    const nodeTypes = new Map(
      JSON.parse(graph).nodes.map((n: { id: string; type: string }) => [n.id, n.type]) as Array<[string, string]>,
    );
    const typed = (params: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(params).map(([name, raw]) => {
          const { nodeId, param } = parseParamRef(name)!;
          const info = catalog.get(nodeTypes.get(nodeId)!)!.params[param]!;
          return [
            name,
            info.kind === 'number' || info.kind === 'integer' || info.kind === 'seed'
              ? Number(raw)
              : info.kind === 'boolean'
                ? raw === 'true'
                : raw,
          ];
        }),
      );
    const unique = [...byKey.values()];
    const todo = unique.filter((j) => !results.has(j.key));
    const status = new Progress(unique.length, unique.length - todo.length, args.json);
    const record = (key: string, r: { images?: JobImage[]; error?: string; ms: number; worker: string }) => {
      const params = typed(byKey.get(key)!.payload.params);
      const line = results.record(
        { key, params, status: r.error ? 'failed' : 'done', ms: r.ms, worker: r.worker, error: r.error },
        r.images,
      );
      if (line)
        status.job(
          line.status === 'done',
          `${line.status} ${key.slice(0, 12)} ${Object.entries(params)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}${line.error ? `: ${line.error}` : ''} (${line.ms} ms, ${line.worker})`,
        );
    };
    if (args.queue) {
      await pool.close(); // the workers run the jobs: free this machine's engines while following
      await submitAndFollow(args.queue, todo, {
        onDone: record,
        onWaiting: (m) => status.note(m ?? `Redis at ${args.queue} is back`),
      });
    } else {
      await runLocal(todo, args.concurrency, pool, (d) => record(d.key, d));
    }
    status.finish();
    const sheet = results.writeContactSheet(jobs.map((j) => j.key));
    writeGridPng(results, axes, jobs, graph);
    const lines = unique.map((j) => results.lines.get(j.key)).filter((l) => l !== undefined);
    const failed = unique.length - lines.filter((l) => l.status === 'done').length;
    if (args.json)
      console.log(
        JSON.stringify({
          ok: failed === 0,
          jobs: unique.length,
          skipped: unique.length - todo.length,
          failed,
          results: `${args.out}/results.jsonl`,
          contactSheet: sheet ?? null,
        }),
      );
    else
      console.error(
        `${failed === 0 ? 'ok' : 'failed'}: ${unique.length} jobs, ${unique.length - todo.length} already done, ` +
          `${failed} failed; ${args.out}/results.jsonl${sheet ? `, ${sheet}` : ''}`,
      );
    return failed === 0 ? 0 : 1;
  } finally {
    await pool.close();
  }
}

/** A progress bar on a terminal, one line per job otherwise (or nothing with --json). */
class Progress {
  private done = 0;
  private failed = 0;
  private readonly tty = process.stderr.isTTY;

  constructor(
    private readonly total: number,
    private readonly skipped: number,
    private readonly quiet: boolean,
  ) {
    if (!quiet && skipped) process.stderr.write(`${skipped} of ${total} jobs already done\n`);
  }

  job(ok: boolean, line: string): void {
    this.done++;
    if (!ok) this.failed++;
    if (this.quiet) return;
    if (!this.tty) {
      process.stderr.write(line + '\n');
      return;
    }
    const finished = this.skipped + this.done,
      width = 30,
      fill = Math.round((finished / this.total) * width);
    process.stderr.write(
      `\r[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ` +
        `${finished}/${this.total}${this.failed ? `, ${this.failed} failed` : ''}`,
    );
  }

  note(message: string): void {
    if (!this.quiet) process.stderr.write(`${this.tty ? '\n' : ''}${message}\n`);
  }

  finish(): void {
    if (!this.quiet && this.tty && this.done) process.stderr.write('\n');
  }
}

/**
 * `<out>/grid.png`: the sweep's grid with its axes labelled, carrying the graph and the sweep (the format of the
 * editor's Save PNG): `npm run graph -- sweep <out>/grid.png --out <dir>` runs the same sweep again, and the editor
 * opens it. Each cell shows its job's first picture; a sweep past MAX_SHEET_TILES points writes none.
 */
function writeGridPng(
  results: SweepResults,
  axes: GridAxis[],
  jobs: ReadonlyArray<{ key: string }>,
  graph: string,
): void {
  if (jobs.length > MAX_SHEET_TILES) return;
  const cells = jobs.map((j) => {
    const line = results.lines.get(j.key);
    const file = line?.status === 'done' ? line.files[0] : undefined;
    if (!file) return { status: line ? ('failed' as const) : ('pending' as const) };
    const png = decodePng(readFileSync(join(results.dir, file)));
    // a grey picture is drawn grey: each pixel's first channel three times
    const data =
      png.channels >= 3
        ? Uint8Array.from(png.data, Number)
        : Uint8Array.from({ length: png.width * png.height * 3 }, (_, i) =>
            Number(png.data[Math.floor(i / 3) * png.channels]),
          );
    const channels: 3 | 4 = png.channels === 4 ? 4 : 3;
    return { status: 'done' as const, tile: { width: png.width, height: png.height, data, channels } };
  });
  writeFileSync(join(results.dir, 'grid.png'), sweepSheetPng(axes, cells, graph));
}
