/** The server's HTTP API (src/host/server.ts has the rules every request passed before it gets here). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Remote } from 'comlink';
import type { EngineApi } from '../engine/api';
import { formatIssue, type GraphIssue } from '../graph/errors';
import { applySets } from '../engine/overrides';
import type { AccessPolicy } from './access';
import { refusedReferences } from './server-refs';
import { newRunId, parseSets, type RunQueue, type RunRecord, type RunStore } from './server-runs';

/**
 * POST /api/sweeps (body), GET /api/sweeps/:id (id) and its pictures, GET /api/sweeps/:id/files/<key>/<name> (id,
 * file: a PNG answered as bytes), for a server started with --queue.
 */
export type SweepHandler = (req: {
  /** The server's access policy: a sweep's graph and grid values read only what a run's may. */
  access: AccessPolicy;
  id?: string;
  file?: string[];
  body?: unknown;
}) => Promise<{ status: number; body: unknown }>;

export interface ApiContext {
  store: RunStore;
  queue: RunQueue;
  access: AccessPolicy;
  token: string;
  /** The engine of the API's runs (also validates: loading nothing into it). */
  apiEngine: () => Remote<EngineApi>;
  sweeps?: SweepHandler;
}

/** Most bytes a request's body may have (a graph with inline pictures stays far below). */
const MAX_BODY = 16 * 1024 * 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly issues?: GraphIssue[],
  ) {
    super(message);
  }
}

/** A path part, %-decoded; a malformed escape is the client's error, not the server's. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new BadRequest(`malformed %-escape in the path: ${part.slice(0, 40)}`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new BadRequest(`the body is over ${MAX_BODY} bytes`, 413);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('the body is not JSON');
  }
}

/** A run as the API shows it: its record, with each picture's URL (fetched with the token's header). */
function shown(r: RunRecord, full: boolean): unknown {
  const base = `/api/runs/${r.id}/files/`;
  const nodes = Object.fromEntries(
    Object.entries(r.nodes).map(([id, n]) => [id, { ...n, files: n.files?.map((f) => base + encodeURIComponent(f)) }]),
  );
  const files = Object.values(nodes).flatMap((n) => n.files ?? []);
  const { graph, ...rest } = r;
  return full ? { ...rest, nodes, files, graph } : { ...rest, nodes: undefined, files };
}

/**
 * Checks a POST /api/runs body as `graph run` checks its file and flags: the graph loads (every issue, naming its
 * node), its references are ones the server may read, its sets name real params with values of their kind.
 */
async function acceptRun(
  ctx: ApiContext,
  body: unknown,
): Promise<{ text: string; record: RunRecord; sets: ReturnType<typeof parseSets> }> {
  if (typeof body !== 'object' || body === null || !('graph' in body))
    throw new BadRequest('expected { "graph": <graph JSON, or its text>, "sets": { "<node>.<param>": value } }');
  const { graph, sets } = body as { graph: unknown; sets?: unknown };
  const text = typeof graph === 'string' ? graph : JSON.stringify(graph);
  const api = ctx.apiEngine();
  const loaded = await api.validateGraph(text);
  if (!loaded.ok)
    throw new BadRequest(
      `the graph cannot be loaded: ${loaded.issues.map(formatIssue).join('; ')}`,
      400,
      loaded.issues,
    );
  const catalog = new Map((await api.catalog()).map((n) => [n.type, n]));
  const parsed = parseSets(sets);
  if ('error' in parsed) throw new BadRequest(parsed.error);
  const refused = refusedReferences(loaded.graph, catalog, ctx.access, parsed.sets);
  if (refused.length)
    throw new BadRequest(
      `the graph reads what this server does not allow: ${refused.map(formatIssue).join('; ')}`,
      400,
      refused,
    );
  // each set's node, param and kind, against the graph's types (the range is checked as the run applies it)
  const types = new Map(loaded.graph.nodes.map((n) => [n.id, n.type]));
  const problem = await applySets(
    { setParam: () => undefined } as unknown as EngineApi,
    catalog,
    types,
    parsed.sets,
    'sets',
  );
  if (problem) throw new BadRequest(problem);
  const record: RunRecord = {
    id: newRunId(),
    source: 'api',
    status: 'queued',
    createdAt: new Date().toISOString(),
    graph: loaded.graph,
    sets: parsed.sets.map((s) => s.raw),
    nodes: {},
  };
  return { text, record, sets: parsed };
}

export async function handleApi(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const parts = path.split('/').slice(2); // ['runs', id?, 'files'?, name?]
  try {
    if (parts[0] === 'runs' && parts.length === 1) {
      if (req.method === 'GET') return json(res, 200, { runs: ctx.store.list().map((r) => shown(r, false)) });
      if (req.method === 'POST') {
        if (ctx.queue.full)
          return json(res, 503, { error: `${ctx.queue.maxWaiting} runs are waiting already: try again later` });
        const { text, record, sets } = await acceptRun(ctx, await readJson(req));
        await ctx.queue.submit(record, text, 'sets' in sets ? sets.sets : []);
        return json(res, 201, { id: record.id });
      }
    }
    if (parts[0] === 'runs' && parts.length >= 2) {
      const r = ctx.store.get(decoded(parts[1]!));
      if (!r) return json(res, 404, { error: `no run ${parts[1]!.slice(0, 40)}` });
      if (parts.length === 2 && req.method === 'GET')
        return json(res, 200, shown((await ctx.store.full(r.id)) ?? r, true));
      if (parts.length === 2 && req.method === 'DELETE') {
        if (r.status !== 'queued' && r.status !== 'running')
          return json(res, 409, { error: `run ${r.id} is ${r.status}` });
        // an editor's run is its WebSocket session's: the editor cancels it (or closing the session does)
        if (r.source === 'editor')
          return json(res, 409, { error: `run ${r.id} is an editor's run: only its editor can cancel it` });
        if (!(await ctx.queue.cancel(r.id))) return json(res, 409, { error: `run ${r.id} is ${r.status}` });
        return json(res, 202, { id: r.id, cancelling: true });
      }
      if (parts.length === 4 && parts[2] === 'files' && req.method === 'GET') {
        const bytes = await ctx.store.file(r.id, decoded(parts[3]!));
        if (!bytes) return json(res, 404, { error: 'no such file' });
        res.writeHead(200, {
          'Content-Type': 'image/png',
          'Content-Length': bytes.length,
          'Cache-Control': 'private, max-age=3600',
        });
        res.end(bytes);
        return;
      }
    }
    if (parts[0] === 'sweeps') {
      if (!ctx.sweeps) return json(res, 501, { error: 'this server has no queue (start it with --queue redis://…)' });
      const [, id, files, ...file] = parts.map(decoded);
      const post = req.method === 'POST' && id === undefined;
      const get =
        req.method === 'GET' && id !== undefined && (files === undefined || (files === 'files' && file.length));
      if (!post && !get) return json(res, 404, { error: `no ${req.method ?? ''} ${path}` });
      const out = await ctx.sweeps({
        access: ctx.access,
        id,
        file: file.length ? file : undefined,
        body: post ? await readJson(req) : undefined,
      });
      if (out.body instanceof Uint8Array) {
        res.writeHead(out.status, { 'Content-Type': 'image/png', 'Content-Length': out.body.length });
        res.end(out.body);
        return;
      }
      return json(res, out.status, out.body);
    }
    if (parts[0] === 'info' && req.method === 'GET') {
      const info = await ctx.apiEngine().runtimeInfo();
      return json(res, 200, {
        product: 'unclip-studio',
        backend: info?.backend,
        gpu: info?.gpu,
        queue: Boolean(ctx.sweeps),
      });
    }
    return json(res, 404, { error: `no ${req.method ?? ''} ${path}` });
  } catch (e) {
    if (e instanceof BadRequest)
      return json(res, e.status, { error: e.message, ...(e.issues ? { issues: e.issues } : {}) });
    throw e;
  }
}
