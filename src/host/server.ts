/**
 * `npm run serve`: the engine in Node behind HTTP and a WebSocket, for an editor on another machine's GPU or a
 * script. Security rules (README, "A server engine"):
 * - every API request and the WebSocket need the token printed at start (`Authorization: Bearer …`; the WebSocket's
 *   upgrade, as a Sec-WebSocket-Protocol `token.<base64url>` beside `unclip-studio`), compared in constant time;
 *   without it: 401, no socket, and nothing runs;
 * - bound to 127.0.0.1 unless told otherwise, and then answering only Host names of the loopback (a page of another
 *   site reached through DNS rebinding does not get in);
 * - CORS and CORP headers only for the origins named with `--allow-origin` (a WebSocket from another origin is
 *   refused unless named too);
 * - a graph reads only the bundled models and the `--allow-path` folders (src/host/access.ts); its references are
 *   checked before a run is accepted (400 naming the node), and again by the engine's reader as it reads.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { WebSocketServer } from 'ws';
import type { AccessPolicy } from './access';
import { startNodeEngine, type Device, type NodeEngine } from './node-client';
import { RunQueue, RunStore } from './server-runs';
import { serveStatic } from './server-static';
import { handleApi, type ApiContext, type SweepHandler } from './server-api';
import { engineSession } from './server-session';
import { tokenMatches } from './token';
import { CLOSE_BUSY, tokenOfProtocols, WS_PROTOCOL } from './wire';

export interface ServerOptions {
  /** Where to listen (127.0.0.1 unless told otherwise). */
  host?: string;
  /** 0: a free port. */
  port?: number;
  /** The token (a fresh random one unless given). */
  token?: string;
  /** Origins (scheme://host[:port]) whose pages may call the API: they get CORS and CORP headers. */
  allowOrigins?: string[];
  /** Folders a graph may read besides the bundled models. */
  allowPaths?: string[];
  /** Where runs are kept. */
  dataDir: string;
  /** The built editor to serve (dist/); none served where it does not exist. */
  distDir?: string;
  /** The engines' models: onnxruntime-node (native), on a device; modelsDir: another bundled folder. */
  engine?: { native?: boolean; device?: Device; modelsDir?: string };
  /** POST /api/sweeps (a server started with --queue): takes the body, answers status and JSON. */
  sweeps?: SweepHandler;
  /** For messages (stderr of the server). */
  log?: (line: string) => void;
  /** Most editors connected at once (each WebSocket has an engine worker of its own): 8 unless told. */
  maxSessions?: number;
  /** Most API runs waiting in the queue: 100 unless told (more are answered 503). */
  maxWaiting?: number;
}

export interface EngineServer {
  url: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Answers an upgrade request it will not take and lets the connection go: closed after a second even if the client
 * keeps its side open (what it sent meanwhile stays unread in the kernel's buffers).
 */
function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

export async function startEngineServer(options: ServerOptions): Promise<EngineServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const allowOrigins = new Set((options.allowOrigins ?? []).map((o) => o.replace(/\/+$/, '')));
  const access: AccessPolicy = { allowPaths: (options.allowPaths ?? []).map((p) => resolve(p)) };
  const distDir = options.distDir && existsSync(options.distDir) ? resolve(options.distDir) : undefined;
  const store = new RunStore(options.dataDir);
  const log = options.log ?? (() => undefined);
  const startEngine = (): NodeEngine => startNodeEngine({ ...options.engine, access, hub: { tty: false } });
  let apiEngine: NodeEngine | undefined;
  const engines = new Set<NodeEngine>();
  const queue = new RunQueue(store, () => (apiEngine ??= startEngine()).api, options.maxWaiting ?? 100);
  let port = 0;

  /** Whether the Host header names this server (always, unless bound to the loopback). */
  const hostOk = (req: IncomingMessage) => {
    if (!LOOPBACK.has(host)) return true;
    const h = (req.headers.host ?? '').toLowerCase();
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h);
  };
  /** CORS and CORP for an allowed origin; a same-origin request needs none. */
  const crossOrigin = (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    if (origin && allowOrigins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Max-Age', '600');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      return true;
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    return false;
  };

  const ctx: ApiContext = {
    store,
    queue,
    access,
    token,
    sweeps: options.sweeps,
    apiEngine: () => (apiEngine ??= startEngine()).api,
  };

  const server = createServer((req, res) => {
    void (async () => {
      if (!hostOk(req)) {
        res.writeHead(421, { 'Content-Type': 'text/plain' }).end('this server answers only its loopback address');
        return;
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/api/')) {
        const allowed = crossOrigin(req, res);
        if (req.method === 'OPTIONS') {
          res.writeHead(allowed ? 204 : 403).end();
          return;
        }
        // the scheme's name is case-insensitive (RFC 9110)
        const auth = /^Bearer +(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        if (!tokenMatches(auth, token)) {
          res.setHeader('WWW-Authenticate', 'Bearer');
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: 'the token is missing or wrong (Authorization: Bearer <token>)' }));
          return;
        }
        await handleApi(ctx, req, res, path);
        return;
      }
      if ((req.method === 'GET' || req.method === 'HEAD') && distDir && (await serveStatic(distDir, req, res))) return;
      res
        .writeHead(404, { 'Content-Type': 'text/plain' })
        .end(distDir ? 'not found' : 'not found (no built editor: npm run build)');
    })().catch((e: unknown) => {
      // the message (paths of the data folder, say) goes to the server's log, not to the client
      log(`error: ${req.method ?? ''} ${(req.url ?? '').slice(0, 200)}: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'the server failed to answer (its log says why)' }));
    });
  });

  const maxSessions = options.maxSessions ?? 8;
  // only a connection that gave the token at the upgrade gets here: a message may be a graph with inline pictures
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 256 * 1024 * 1024,
    handleProtocols: () => WS_PROTOCOL,
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const origin = req.headers.origin;
    // a browser says where the page is from: this server's own page, or one named with --allow-origin
    const sameOrigin = origin !== undefined && origin.replace(/^https?:\/\//, '') === req.headers.host;
    if (path !== '/api/ws' || !hostOk(req) || (origin !== undefined && !sameOrigin && !allowOrigins.has(origin))) {
      refuseUpgrade(socket, '403 Forbidden');
      return;
    }
    // the token before any WebSocket exists: nothing without it is read past the request's headers
    if (!tokenMatches(tokenOfProtocols(req.headers['sec-websocket-protocol']), token)) {
      refuseUpgrade(socket, '401 Unauthorized');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (wss.clients.size > maxSessions) {
        ws.close(CLOSE_BUSY, `this server takes ${maxSessions} editors at once`);
        return;
      }
      engineSession(ws, {
        store,
        log,
        start: () => {
          const e = startEngine();
          engines.add(e);
          return {
            api: e.api,
            stop: async () => {
              engines.delete(e);
              await e.terminate();
            },
          };
        },
      });
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    token,
    server,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await Promise.all([...engines].map((e) => e.terminate()));
      await apiEngine?.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
