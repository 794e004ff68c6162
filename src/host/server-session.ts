/**
 * One editor's WebSocket to the server (its token was checked at the upgrade, src/host/server.ts): engine API calls
 * (src/host/wire.ts) forwarded to an engine of its own (a worker_thread, so two editors never load graphs into each
 * other's engine). A run's progress listener is called back over the socket; its runs are recorded in the server's
 * run store. A closed socket cancels its run, waits for it to end and be recorded, then stops the engine.
 */
import { proxy, type Remote } from 'comlink';
import type { WebSocket } from 'ws';
import type { EngineApi } from '../engine/api';
import type { RunResult } from '../engine/events';
import { ENGINE_METHODS } from './engine-methods';
import { newRunId, type RunRecord, type RunStore } from './server-runs';
import { CLOSE_BAD_MESSAGE, decodeValue, encodeValue, type ClientMessage, type ServerMessage } from './wire';
import { PRODUCT_VERSION } from '../engine/provenance';

const METHODS = new Set<string>(ENGINE_METHODS);
/**
 * How long a closed session's engine gets to end its cancelled run and record it before the worker is stopped (a
 * call to a stopped worker never settles, so the run would stay "running").
 */
export const SETTLE_MS = 10_000;

export function engineSession(
  ws: WebSocket,
  opts: {
    store: RunStore;
    log: (line: string) => void;
    start: () => { api: Remote<EngineApi>; stop: () => Promise<void> };
  },
): void {
  let engine: ReturnType<typeof opts.start> | undefined;
  /** The calls not answered yet, and the run being recorded: what a close waits for, or marks interrupted. */
  const inflight = new Set<Promise<unknown>>();
  let running: RunRecord | undefined;
  const send = (m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };

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
    running = record;
    let result: RunResult;
    try {
      result = await api.run(runOpts, args[1] as Parameters<EngineApi['run']>[1]);
    } catch (e) {
      if (running === record) running = undefined;
      record.status = 'failed';
      record.message = (e as Error).message;
      await opts.store.save(record);
      throw e;
    }
    await opts.store
      .finish(record, api, result)
      .catch((e: unknown) => opts.log(`cannot record run ${record.id}: ${(e as Error).message}`));
    if (running === record) running = undefined;
    return { ...result, serverRunId: record.id };
  };

  send({ type: 'ready', version: PRODUCT_VERSION });
  ws.on('message', (data, isBinary) => {
    let m: ClientMessage;
    try {
      if (isBinary) throw new Error('binary');
      m = JSON.parse(String(data)) as ClientMessage;
    } catch {
      ws.close(CLOSE_BAD_MESSAGE, 'not a message');
      return;
    }
    if (m?.type !== 'call' || typeof m.id !== 'number' || !Array.isArray(m.args)) {
      ws.close(CLOSE_BAD_MESSAGE, 'not a call');
      return;
    }
    const done = call(m).then(
      (value) => {
        // a value JSON cannot carry (a function, a DataView) fails this call, not the server
        let encoded: unknown;
        try {
          encoded = encodeValue(value);
        } catch (e) {
          send({ type: 'error', id: m.id, message: `${m.method}: ${(e as Error).message}` });
          return;
        }
        send({ type: 'result', id: m.id, value: encoded });
      },
      (e: unknown) => send({ type: 'error', id: m.id, message: (e as Error)?.message ?? String(e) }),
    );
    inflight.add(done);
    void done.finally(() => inflight.delete(done));
  });
  ws.on('close', () => {
    const e = engine;
    engine = undefined;
    if (!e) return;
    // the run is cancelled and given time to end and be recorded; then the worker goes, and a run still going is
    // recorded as interrupted rather than left running
    void (async () => {
      await Promise.race([e.api.cancel().catch(() => undefined), sleep(SETTLE_MS)]);
      await Promise.race([Promise.allSettled([...inflight]), sleep(SETTLE_MS)]);
      const left = running;
      running = undefined;
      await e.stop().catch(() => undefined);
      if (left && left.status === 'running') {
        left.status = 'interrupted';
        left.message = "the editor's connection closed and the run did not end in time";
        left.finishedAt = new Date().toISOString();
        await opts.store.save(left).catch((err: unknown) => opts.log(`cannot record run ${left.id}: ${String(err)}`));
      }
    })();
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
