/**
 * The engine API of a server (`npm run serve`, src/host/server.ts) over one WebSocket, with the same methods as the
 * browser worker's, so the editor runs, previews and cancels the same way on either. The token goes with the
 * upgrade request, as a subprotocol (src/host/wire.ts), never in a URL. A closed connection fails every call waiting
 * on it with a sentence that says so; the next call connects again.
 */
import type { Remote } from 'comlink';
import type { EngineApi } from '../engine/api';
import { ENGINE_METHODS } from '../host/engine-methods';
import {
  CLOSE_BUSY,
  decodeValue,
  encodeValue,
  tokenProtocol,
  WS_PROTOCOL,
  type ClientMessage,
  type ServerMessage,
} from '../host/wire';

type Socket = Pick<WebSocket, 'send' | 'close' | 'addEventListener' | 'readyState'>;
export type SocketFactory = (url: string, protocols: string[]) => Socket;

export interface ServerEngine {
  api: Remote<EngineApi>;
  /** The server's address, as the user typed it (without a trailing slash). */
  url: string;
  /** Connects (and authenticates) now: resolves once the server accepted the token. */
  connect(): Promise<void>;
  close(): void;
}

/** The WebSocket URL of a server's http(s) address. */
export function socketUrl(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/api/ws';
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** Fetches a server API path with the token's header (pictures too: never `<img src>` with a token). */
export async function serverFetch(url: string, token: string, path: string, init: RequestInit = {}) {
  return fetch(new URL(path, url), {
    ...init,
    headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` },
  });
}

export function createServerEngine(
  url: string,
  token: string,
  opts: { socket?: SocketFactory; onClosed?: (message: string) => void } = {},
): ServerEngine {
  const base = url.replace(/\/+$/, '');
  const open = opts.socket ?? ((u: string, p: string[]) => new WebSocket(u, p));
  // a close the editor asked for is no news to tell it
  let onClosed = opts.onClosed;
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; callbacks: Array<(...a: unknown[]) => unknown> }
  >();
  let socket: Socket | null = null;
  let ready: Promise<Socket> | null = null;

  /** Why a connection closed before the server said ready. */
  const refusal = async (code: number): Promise<string> => {
    if (code === CLOSE_BUSY) return `the server at ${base} has as many editors connected as it takes`;
    try {
      const res = await serverFetch(base, token, '/api/ws');
      return res.status === 401 ? `the server at ${base} refused the token` : `cannot reach the server at ${base}`;
    } catch {
      return `cannot reach the server at ${base}`;
    }
  };

  const connect = (): Promise<Socket> => {
    if (ready) return ready;
    ready = new Promise<Socket>((resolve, reject) => {
      let ws: Socket;
      try {
        ws = open(socketUrl(base), [WS_PROTOCOL, tokenProtocol(token)]);
      } catch (e) {
        reject(new Error(`cannot reach the server at ${base}: ${(e as Error).message}`));
        return;
      }
      let accepted = false;
      ws.addEventListener('message', (ev: MessageEvent) => {
        let m: ServerMessage;
        try {
          m = JSON.parse(String(ev.data)) as ServerMessage;
        } catch {
          return;
        }
        if (m.type === 'ready') {
          accepted = true;
          socket = ws;
          resolve(ws);
          return;
        }
        const p = pending.get(m.id);
        if (!p) return;
        if (m.type === 'callback') {
          const args = decodeValue(m.args) as unknown[];
          void Promise.resolve(p.callbacks[m.fn]?.(...args)).catch(() => undefined);
        } else if (m.type === 'result') {
          pending.delete(m.id);
          p.resolve(decodeValue(m.value));
        } else if (m.type === 'error') {
          pending.delete(m.id);
          p.reject(new Error(m.message));
        }
      });
      ws.addEventListener('close', (ev: CloseEvent) => {
        if (!accepted) {
          socket = null;
          ready = null;
          // a refused upgrade looks like no server at all to a page: the API (same token) tells which it was
          void refusal(ev.code).then((m) => reject(new Error(m)));
          return;
        }
        const message = `the server at ${base} closed the connection`;
        socket = null;
        ready = null;
        for (const p of pending.values()) p.reject(new Error(message));
        onClosed?.(message);
        pending.clear();
      });
      // 'error' is followed by 'close', which says what happened
      ws.addEventListener('error', () => undefined);
    });
    return ready;
  };

  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    const ws = await connect();
    const id = nextId++;
    const callbacks: Array<(...a: unknown[]) => unknown> = [];
    const encoded = encodeValue(args, (f) => callbacks.push(f) - 1) as unknown[];
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, callbacks });
      ws.send(JSON.stringify({ type: 'call', id, method, args: encoded } satisfies ClientMessage));
    });
  };

  const api = Object.fromEntries(ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)]));
  return {
    api: api as unknown as Remote<EngineApi>,
    url: base,
    connect: async () => {
      await connect();
    },
    close: () => {
      onClosed = undefined;
      socket?.close();
      socket = null;
      ready = null;
    },
  };
}
