/**
 * The server's runs (src/host/server.ts): each run's record (graph, status, per-node results, picture files) kept
 * in memory and on disk under the data folder (`<data>/runs/<id>/run.json` and its PNGs), so the list survives a
 * restart and another browser. HTTP runs (`POST /api/runs`) wait in one queue and run one at a time on the
 * server's own engine; the editor's runs (its WebSocket session's engine) are recorded here when they end.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Remote } from 'comlink';
import type { EngineApi, NodeInfo } from '../engine/api';
import type { RunResult } from '../engine/events';
import type { GraphDocument } from '../graph/document';
import { applySets, type ParamSet } from '../engine/overrides';

type Api = Remote<EngineApi> | EngineApi;

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface RunNodeRecord {
  status: string;
  ms: number;
  cached: boolean;
  message?: string;
  field?: string;
  /** Picture files (names under the run's folder). */
  files?: string[];
}

export interface RunRecord {
  id: string;
  /** 'api': POST /api/runs; 'editor': a run of an editor's WebSocket session. */
  source: 'api' | 'editor';
  status: RunStatus;
  createdAt: string;
  finishedAt?: string;
  ms?: number;
  message?: string;
  graph: GraphDocument | unknown;
  sets: string[];
  nodes: Record<string, RunNodeRecord>;
}

/** A run id: time first, so names sort by age, then randomness. Only these characters reach a path. */
export const RUN_ID = /^[0-9a-z]{8,12}-[0-9a-f]{8}$/;
const FILE_NAME = /^[A-Za-z0-9_.-]+\.png$/;
/** The pictures of a batch kept per output port (the rest are in the engine only while it holds them). */
const MAX_PICTURES = 16;

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A finished run as the in-memory index keeps it: without its graph (read from its run.json when asked for). */
function indexed(r: RunRecord): RunRecord {
  if (r.status === 'queued' || r.status === 'running') return r;
  const { graph: _graph, ...rest } = r;
  return { ...rest, graph: undefined };
}

export class RunStore {
  /** Every run's record; a finished one without its graph, so the index stays small however many runs are kept. */
  private readonly runs = new Map<string, RunRecord>();
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'runs');
    mkdirSync(this.dir, { recursive: true });
    for (const id of readdirSync(this.dir)) {
      if (!RUN_ID.test(id)) continue;
      try {
        const r = JSON.parse(readFileSync(join(this.dir, id, 'run.json'), 'utf8')) as RunRecord;
        // a run the server was in the middle of when it stopped did not finish
        if (r.status === 'queued' || r.status === 'running') r.status = 'interrupted';
        this.runs.set(id, indexed(r));
      } catch {
        // a run folder without its record (written half when the server stopped) is skipped
      }
    }
  }

  /** Every run, newest first. */
  list(): RunRecord[] {
    return [...this.runs.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  get(id: string): RunRecord | undefined {
    return RUN_ID.test(id) ? this.runs.get(id) : undefined;
  }

  /** A run's whole record, its graph too, from its run.json (undefined: no such run). */
  async full(id: string): Promise<RunRecord | undefined> {
    const r = this.get(id);
    if (!r || r.graph !== undefined) return r;
    try {
      const { graph } = JSON.parse(await readFile(join(this.dir, id, 'run.json'), 'utf8')) as RunRecord;
      return { ...r, graph };
    } catch {
      return r;
    }
  }

  async save(r: RunRecord): Promise<void> {
    this.runs.set(r.id, indexed(r));
    const folder = join(this.dir, r.id);
    await mkdir(folder, { recursive: true });
    // written whole, then renamed: a reader never sees half a record
    const tmp = join(folder, `run.json.${randomBytes(3).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(r));
    await rename(tmp, join(folder, 'run.json'));
  }

  /** A picture of a run (null: no such run or file). */
  async file(id: string, name: string): Promise<Uint8Array | null> {
    if (!this.get(id) || !FILE_NAME.test(name)) return null;
    try {
      return new Uint8Array(await readFile(join(this.dir, id, name)));
    } catch {
      return null;
    }
  }

  /**
   * Fills a record from an engine's finished run: each node's result, and the PNGs (with their graph) of the
   * Image outputs of the nodes that ran or came from the cache, written into the run's folder.
   */
  async finish(r: RunRecord, api: Api, result: RunResult): Promise<void> {
    const catalog = new Map((await api.catalog()).map((n): [string, NodeInfo] => [n.type, n]));
    const doc = await api.graph();
    const folder = join(this.dir, r.id);
    await mkdir(folder, { recursive: true });
    for (const [nodeId, n] of Object.entries(result.nodes)) {
      const rec: RunNodeRecord = { status: n.status, ms: Math.round(n.ms * 100) / 100, cached: n.cached };
      if (n.message) rec.message = n.message;
      if (n.field) rec.field = n.field;
      const type = doc?.nodes.find((d) => d.id === nodeId)?.type;
      const ports = Object.entries(catalog.get(type ?? '')?.outputs ?? {})
        .filter(([, t]) => t === 'Image')
        .map(([p]) => p);
      if ((n.status === 'done' || n.status === 'cached') && ports.length && !nodeId.includes('/')) {
        const summaries = await api.summaries(nodeId);
        for (const port of ports) {
          const count = Math.min(MAX_PICTURES, summaries.find((s) => s.port === port)?.shape?.[0] ?? 0);
          for (let i = 0; i < count; i++) {
            const name = `${nodeId}${port === ports[0] ? '' : `.${port}`}${count > 1 ? `-${i}` : ''}.png`;
            if (!FILE_NAME.test(name)) continue;
            await writeFile(join(folder, name), await api.imagePng(nodeId, port, i));
            (rec.files ??= []).push(name);
          }
        }
      }
      r.nodes[nodeId] = rec;
    }
    r.status = result.cancelled ? 'cancelled' : result.ok ? 'done' : 'failed';
    r.ms = Math.round(result.ms);
    r.finishedAt = new Date().toISOString();
    await this.save(r);
  }
}

/** A POST /api/runs body's sets: `["node.param=value", ...]` or `{ "node.param": value }`. */
export function parseSets(sets: unknown): { sets: ParamSet[] } | { error: string } {
  if (sets === undefined || sets === null) return { sets: [] };
  const raws: string[] = [];
  if (Array.isArray(sets)) {
    for (const s of sets) {
      if (typeof s !== 'string') return { error: 'sets: each entry is a string "<nodeId>.<param>=<value>"' };
      raws.push(s);
    }
  } else if (typeof sets === 'object') {
    for (const [k, v] of Object.entries(sets)) {
      if (!['string', 'number', 'boolean'].includes(typeof v))
        return { error: `sets.${k.slice(0, 80)}: a string, number or boolean` };
      raws.push(`${k}=${String(v)}`);
    }
  } else return { error: 'sets: a list of "<nodeId>.<param>=<value>" or an object { "<nodeId>.<param>": value }' };
  const out: ParamSet[] = [];
  for (const raw of raws) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(raw);
    if (!m) return { error: `sets: "${raw.slice(0, 80)}" is not <nodeId>.<param>=<value>` };
    out.push({ nodeId: m[1]!, param: m[2]!, value: m[3]!, raw });
  }
  return { sets: out };
}

/**
 * Runs the API's runs one at a time on one engine: load the graph, apply its sets, run, record. A cancel of a
 * queued run takes it out of the queue; of the running one, cancels the engine's run.
 */
export class RunQueue {
  private readonly waiting: Array<{ record: RunRecord; text: string; sets: ParamSet[] }> = [];
  private current: string | null = null;

  /** Ids of the running job once cancelled: checked between its steps, as the engine's cancel stops only a run. */
  private cancelled = new Set<string>();

  constructor(
    private readonly store: RunStore,
    private readonly api: () => Api,
    /** Most runs waiting (submit refuses more: a queue without end would hold every request's graph). */
    readonly maxWaiting = 100,
  ) {}

  /** Whether another run can wait now. */
  get full(): boolean {
    return this.waiting.length >= this.maxWaiting;
  }

  async submit(record: RunRecord, text: string, sets: ParamSet[]): Promise<void> {
    if (this.full) throw new Error(`${this.maxWaiting} runs are waiting already`);
    await this.store.save(record);
    this.waiting.push({ record, text, sets });
    if (!this.current) void this.next();
  }

  async cancel(id: string): Promise<boolean> {
    const i = this.waiting.findIndex((w) => w.record.id === id);
    if (i >= 0) {
      const [w] = this.waiting.splice(i, 1);
      w!.record.status = 'cancelled';
      w!.record.finishedAt = new Date().toISOString();
      await this.store.save(w!.record);
      return true;
    }
    if (this.current === id) {
      // the engine's cancel is lost while the graph loads or its sets apply: the flag is checked before the run
      this.cancelled.add(id);
      await this.api().cancel();
      return true;
    }
    return false;
  }

  private async next(): Promise<void> {
    const job = this.waiting.shift();
    if (!job) return;
    const { record } = job;
    this.current = record.id;
    try {
      record.status = 'running';
      await this.store.save(record);
      const api = this.api();
      const loaded = await api.loadGraph(job.text);
      if (!loaded.ok) throw new Error(loaded.issues.map((i) => `node "${i.nodeId ?? ''}": ${i.message}`).join('; '));
      const catalog = new Map((await api.catalog()).map((n): [string, NodeInfo] => [n.type, n]));
      const types = new Map(loaded.graph.nodes.map((n) => [n.id, n.type]));
      const problem = await applySets(api, catalog, types, job.sets, 'sets');
      if (problem) throw new Error(problem);
      if (this.cancelled.has(record.id)) {
        record.status = 'cancelled';
        record.finishedAt = new Date().toISOString();
        await this.store.save(record);
        return;
      }
      const result = await api.run({});
      await this.store.finish(record, api, result);
    } catch (e) {
      record.status = 'failed';
      record.message = (e as Error).message;
      record.finishedAt = new Date().toISOString();
      await this.store.save(record).catch(() => undefined);
    } finally {
      this.cancelled.delete(record.id);
      this.current = null;
      void this.next();
    }
  }
}
