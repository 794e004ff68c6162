/**
 * One WebSocket session (src/host/server-session.ts) on a fake socket and engine: what a call answers when its
 * result cannot be sent.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Remote } from 'comlink';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { EngineApi } from '../../src/engine/api';
import { RunStore } from '../../src/host/server-runs';
import { engineSession } from '../../src/host/server-session';
import type { ServerMessage } from '../../src/host/wire';

function fakeSocket() {
  const sent: ServerMessage[] = [];
  const ws = Object.assign(new EventEmitter(), {
    OPEN: 1,
    readyState: 1,
    send: (text: string) => void sent.push(JSON.parse(text) as ServerMessage),
    close: () => undefined,
  });
  return { ws: ws as unknown as WebSocket, emitter: ws, sent };
}

describe('a WebSocket session', () => {
  it('answers a result JSON cannot carry with an error for that call, and keeps serving', async () => {
    const { ws, emitter, sent } = fakeSocket();
    const api = { catalog: async () => [() => 1], graph: async () => null } as unknown as Remote<EngineApi>;
    engineSession(ws, {
      store: new RunStore(mkdtempSync(join(tmpdir(), 'session-'))),
      log: () => undefined,
      start: () => ({ api, stop: async () => undefined }),
    });
    emitter.emit('message', Buffer.from(JSON.stringify({ type: 'call', id: 1, method: 'catalog', args: [] })), false);
    emitter.emit('message', Buffer.from(JSON.stringify({ type: 'call', id: 2, method: 'graph', args: [] })), false);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toContainEqual({ type: 'error', id: 1, message: expect.stringContaining('catalog: a function') });
    expect(sent).toContainEqual({ type: 'result', id: 2, value: null });
  });
});
