import { wrap, type Remote } from 'comlink';
import type { EngineApi } from '../engine/api';
import { createServerEngine, type ServerEngine } from './server-engine';
import { BACKEND_KEY } from './store';

let engine: Remote<EngineApi> | null = null;
/** The server engine the editor uses instead of its worker (the Engine choice), or null: this browser. */
let server: ServerEngine | null = null;

/** The engine (one per tab): the worker's, reached through comlink, or a server's (`npm run serve`). */
export function getEngine(): Remote<EngineApi> {
  if (server) return server.api;
  if (!engine) {
    // its name carries the backend the editor last chose: the models it opens ahead are opened on it
    let backend = 'auto';
    try {
      backend = localStorage.getItem(BACKEND_KEY) ?? 'auto';
    } catch {
      // no storage (a sandboxed frame): auto
    }
    const worker = new Worker(new URL('../host/browser-worker.ts', import.meta.url), {
      type: 'module',
      // and whether to open the default graph's models ahead: not when the page opens a graph from a link, nor
      // when the editor's engine is a server (its runs do not use this worker's sessions)
      name:
        `unclip-studio engine backend=${backend}` +
        (/^#graph=/.test(location.hash) || savedEngineChoice().kind === 'server' ? ' ahead=no' : ''),
    });
    engine = wrap<EngineApi>(worker);
  }
  return engine;
}

/** Where the editor's engine runs, remembered in localStorage (the token too: typed once, never in a URL). */
export type EngineChoice = { kind: 'browser' } | { kind: 'server'; url: string; token: string };
export const ENGINE_KEY = 'unclip-studio.engine';

export function savedEngineChoice(): EngineChoice {
  try {
    const c = JSON.parse(localStorage.getItem(ENGINE_KEY) ?? 'null') as EngineChoice | null;
    if (c?.kind === 'server' && typeof c.url === 'string' && typeof c.token === 'string') return c;
  } catch {
    /* none saved, or private mode */
  }
  return { kind: 'browser' };
}

function save(choice: EngineChoice): void {
  try {
    localStorage.setItem(ENGINE_KEY, JSON.stringify(choice));
  } catch {
    /* private mode: kept for this visit */
  }
}

/** The server the editor uses now (its address), or null. */
export function currentServer(): string | null {
  return server?.url ?? null;
}

/** The server the editor uses now, with its token (for its HTTP API: queued sweeps), or null. */
export function currentServerAccess(): { url: string; token: string } | null {
  const saved = savedEngineChoice();
  return server && saved.kind === 'server' ? { url: server.url, token: saved.token } : null;
}

/**
 * Uses a server's engine from now on, once it accepted the token (the worker stays, idle, for a switch back).
 * `onClosed` hears when the server goes away (calls waiting on it fail, saying so; the next one connects again).
 */
export async function connectServerEngine(
  url: string,
  token: string,
  onClosed?: (message: string) => void,
): Promise<void> {
  const next = createServerEngine(url, token, { onClosed });
  await next.connect();
  server?.close();
  server = next;
  save({ kind: 'server', url: next.url, token });
}

/** Back to the engine in this browser's worker. */
export function chooseBrowserEngine(): void {
  server?.close();
  server = null;
  save({ kind: 'browser' });
}

let opening: Promise<unknown> = Promise.resolve();
/** Marks a graph being opened (validated by the worker): a Run pressed meanwhile runs the graph being opened. */
export function trackOpening<T>(p: Promise<T>): Promise<T> {
  const prev = opening;
  opening = Promise.all([prev, p.catch(() => undefined)]);
  return p;
}
/** Settles once every graph being opened is shown (or refused). */
export function openingSettled(): Promise<unknown> {
  return opening;
}
