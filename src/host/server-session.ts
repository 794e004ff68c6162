/**
 * One editor's WebSocket to the server: the token first, then engine API calls (src/host/wire.ts) forwarded to an
 * engine of its own (a worker_thread, so two editors never load graphs into each other's engine). A run's
 * progress listener is called back over the socket; its runs are recorded in the server's run store.
 */
import { proxy, type Remote } from 'comlink';
import type { WebSocket } from 'ws';
import type { EngineApi } from '../engine/api';
import type { RunResult } from '../engine/events';
import { ENGINE_METHODS } from './engine-methods';
import { newRunId, type RunRecord, type RunStore } from './server-runs';
import { tokenMatches } from './token';
import {
  CLOSE_BAD_MESSAGE,
  CLOSE_UNAUTHORIZED,
  decodeValue,
  encodeValue,
  type ClientMessage,
  type ServerMessage,
} from './wire';
import { PRODUCT_VERSION } from '../engine/provenance';

const METHODS = new Set<string>(ENGINE_METHODS);
/** How long a connection may wait before it sends its token. */
const AUTH_WAIT_MS = 10_000;

export function engineSession(
  ws: WebSocket,
  opts: {
    token: string;
    store: RunStore;
    log: (line: string) => void;
    start: () => { api: Remote<EngineApi>; stop: () => Promise<void> };
  },
): void {
  let engine: ReturnType<typeof opts.start> | undefined;
  let authed = false;
  const send = (m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  const timer = setTimeout(() => ws.close(CLOSE_UNAUTHORIZED, 'no token'), AUTH_WAIT_MS);

  const call = async (m: Extract<ClientMessage, { type: 'call' }>) => {
    if (!METHODS.has(m.method)) throw new Error(`no engine method "${String(m.method).slice(0, 40)}"`);
    const api = (engine ??= opts.start()).api;
    const args = decodeValue(m.args, (fn) =>
      proxy((...a: unknown[]) => send({ type: 'callback', id: m.id, fn, args: encodeValue(a) as unknown[] })),
    ) as unknown[];
    if (m.method !== 'run') return (api[m.method as keyof EngineApi] as (...a: unknown[]) => Promise<unknown>)(...args);
    // the server's models run where it was started (native, CUDA): an editor's backend choice is for its browser
    const { backend: _backend, ...runOpts } = (args[0] ?? {}) as Record<string, unknown>;
    const record: RunRecord = {
      id: newRunId(),
      source: 'editor',
      status: 'running',
      createdAt: new Date().toISOString(),
      graph: await api.graph(),
      sets: [],
      nodes: {},
    };
    await opts.store.save(record);
    let result: RunResult;
    try {
      result = await api.run(runOpts, args[1] as Parameters<EngineApi['run']>[1]);
    } catch (e) {
      record.status = 'failed';
      record.message = (e as Error).message;
      await opts.store.save(record);
      throw e;
    }
    await opts.store
      .finish(record, api, result)
      .catch((e: unknown) => opts.log(`cannot record run ${record.id}: ${(e as Error).message}`));
    return { ...result, serverRunId: record.id };
  };

  ws.on('message', (data, isBinary) => {
    let m: ClientMessage;
    try {
      if (isBinary) throw new Error('binary');
      m = JSON.parse(String(data)) as ClientMessage;
    } catch {
      ws.close(CLOSE_BAD_MESSAGE, 'not a message');
      return;
    }
    if (!authed) {
      clearTimeout(timer);
      if (m.type !== 'auth' || !tokenMatches(m.token, opts.token)) {
        ws.close(CLOSE_UNAUTHORIZED, 'the token is missing or wrong');
        return;
      }
      authed = true;
      send({ type: 'ready', version: PRODUCT_VERSION });
      return;
    }
    if (m.type !== 'call' || typeof m.id !== 'number' || !Array.isArray(m.args)) {
      ws.close(CLOSE_BAD_MESSAGE, 'not a call');
      return;
    }
    call(m).then(
      (value) => send({ type: 'result', id: m.id, value: encodeValue(value) }),
      (e: unknown) => send({ type: 'error', id: m.id, message: (e as Error)?.message ?? String(e) }),
    );
  });
  ws.on('close', () => {
    clearTimeout(timer);
    const e = engine;
    engine = undefined;
    if (e)
      void e.api
        .cancel()
        .catch(() => undefined)
        .finally(() => void e.stop());
  });
}
