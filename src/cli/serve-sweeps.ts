/**
 * POST /api/sweeps for a server started with `--queue redis://…`: the editor's (or a script's) sweep, checked as
 * `graph sweep --queue` checks it (every point loaded, its params applied, named by its Merkle key), then queued on
 * BullMQ for `npm run worker`s; GET /api/sweeps/:id follows its jobs. The body: `{ graph, grid }`, with `grid` the
 * CLI's axes (`["seed.value=1..6", "prompt.text=a red circle,a blue square"]`); `@file` values are not read here.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssue } from '../graph/errors';
import type { SweepHandler } from '../host/server-api';
import { startNodeEngine, type Device, type NodeEngine } from '../host/node-client';
import { refusedReferences } from '../host/server-refs';
import { newRunId, RUN_ID } from '../host/server-runs';
import { GridError, gridPoints, parseGridAxis } from '../queue/grid';
import { JobFailure, loadJob, MAX_GRAPH_BYTES, paramSets, type JobPayload } from '../queue/job';
import { probeRedis, RedisUnreachable, submitAndFollow } from '../queue/bullmq';

interface SweepJob {
  key: string;
  params: Record<string, string>;
  status: 'queued' | 'done' | 'failed';
  error?: string;
  ms?: number;
  worker?: string;
  images?: string[];
}

/** A sweep id has a run id's form (only these characters reach a path). */
const SWEEP_ID = RUN_ID;
const SAFE = /^[A-Za-z0-9_.-]+$/;

/**
 * The sweeps of a server: queued on `url`; each job's pictures kept under `<dataDir>/sweeps/<id>/<key>/`. `engine`:
 * the server's engine options, for the engine that checks each point (it reads only what the server may).
 */
export function queueSweeps(
  url: string,
  dataDir: string,
  engineOptions: { native?: boolean; device?: Device; modelsDir?: string } = {},
): SweepHandler {
  const sweeps = new Map<string, { createdAt: string; jobs: SweepJob[]; error?: string }>();
  let engine: NodeEngine | undefined;
  const bad = (error: string) => ({ status: 400, body: { error } });

  return async ({ access, id, file, body }) => {
    if (id !== undefined) {
      const s = SWEEP_ID.test(id) ? sweeps.get(id) : undefined;
      if (!s) return { status: 404, body: { error: `no sweep ${id.slice(0, 40)}` } };
      if (file) {
        const [key, name] = file;
        if (file.length !== 2 || !SAFE.test(key!) || !SAFE.test(name!) || !name!.endsWith('.png'))
          return { status: 404, body: { error: 'no such file' } };
        try {
          return { status: 200, body: new Uint8Array(await readFile(join(dataDir, 'sweeps', id, key!, name!))) };
        } catch {
          return { status: 404, body: { error: 'no such file' } };
        }
      }
      const count = (st: SweepJob['status']) => s.jobs.filter((j) => j.status === st).length;
      return {
        status: 200,
        body: { id, ...s, total: s.jobs.length, done: count('done'), failed: count('failed') },
      };
    }
    const { graph, grid } = (body ?? {}) as { graph?: unknown; grid?: unknown };
    if (graph === undefined || !Array.isArray(grid) || !grid.every((g) => typeof g === 'string'))
      return bad('expected { "graph": <graph JSON>, "grid": ["<node>.<param>=<values>", ...] }');
    const text = typeof graph === 'string' ? graph : JSON.stringify(graph);
    if (text.length > MAX_GRAPH_BYTES) return bad(`the graph is ${text.length} bytes (at most ${MAX_GRAPH_BYTES})`);
    const fromFile = (grid as string[]).find((g) => /^[^=]*=@/.test(g));
    if (fromFile) return bad(`grid ${fromFile.slice(0, 80)}: the server reads no @file (send the values)`);
    let points;
    try {
      const axes = (grid as string[]).map((g) =>
        parseGridAxis(g, () => {
          throw new GridError('no @file here');
        }),
      );
      if (!axes.length) return bad('grid: no axis given');
      points = gridPoints(axes);
    } catch (e) {
      if (e instanceof GridError) return bad(e.message);
      throw e;
    }
    // the graph's references and the grid's values read only what the server's runs may (its --allow-path)
    const api = (engine ??= startNodeEngine({ ...engineOptions, access, hub: { tty: false } })).api;
    const catalog = new Map((await api.catalog()).map((n) => [n.type, n]));
    const loaded = await api.validateGraph(text);
    if (!loaded.ok) return bad(`the graph cannot be loaded: ${loaded.issues.map(formatIssue).join('; ')}`);
    let values;
    try {
      values = points.flatMap((p) => paramSets(p));
    } catch (e) {
      if (e instanceof JobFailure) return bad(e.message);
      throw e;
    }
    const refused = refusedReferences(loaded.graph, catalog, access, values);
    if (refused.length)
      return {
        status: 400,
        body: {
          error: `the sweep reads what this server does not allow: ${refused.map(formatIssue).join('; ')}`,
          issues: refused,
        },
      };
    // loads each point (no run): a bad graph or value is refused before anything is queued, naming its node
    const jobs: Array<{ key: string; payload: JobPayload }> = [];
    for (const params of points) {
      try {
        jobs.push({
          key: (await loadJob(api, catalog, { graph: text, params })).key,
          payload: { graph: text, params },
        });
      } catch (e) {
        if (e instanceof JobFailure) return bad(e.message);
        throw e;
      }
    }
    try {
      await probeRedis(url);
    } catch (e) {
      if (e instanceof RedisUnreachable) return { status: 503, body: { error: e.message } };
      throw e;
    }
    const sweepId = newRunId();
    const byKey = new Map<string, SweepJob>();
    for (const j of jobs)
      if (!byKey.has(j.key)) byKey.set(j.key, { key: j.key, params: j.payload.params, status: 'queued' });
    const state = {
      createdAt: new Date().toISOString(),
      jobs: [...byKey.values()] as SweepJob[],
      error: undefined as string | undefined,
    };
    sweeps.set(sweepId, state);
    void submitAndFollow(
      url,
      [...byKey.keys()].map((key) => jobs.find((j) => j.key === key)!),
      {
        onDone: (key, r) => {
          const job = byKey.get(key);
          if (!job) return;
          job.error = r.error;
          job.ms = Math.round(r.ms);
          job.worker = r.worker;
          // the pictures are kept before the job says done, so a URL it lists can be fetched
          void (async () => {
            const folder = join(dataDir, 'sweeps', sweepId, key);
            await mkdir(folder, { recursive: true });
            const names: string[] = [];
            for (const img of r.images ?? []) {
              if (!SAFE.test(img.name)) continue;
              await writeFile(join(folder, img.name), img.png);
              names.push(`/api/sweeps/${sweepId}/files/${key}/${encodeURIComponent(img.name)}`);
            }
            job.images = names;
            job.status = r.error ? 'failed' : 'done';
          })().catch((e: unknown) => {
            job.status = 'failed';
            job.error = `cannot keep its pictures: ${(e as Error).message}`;
          });
        },
      },
    ).catch((e: unknown) => {
      state.error = (e as Error).message;
    });
    return { status: 202, body: { id: sweepId, jobs: state.jobs.length, keys: state.jobs.map((j) => j.key) } };
  };
}
