/**
 * `npm run serve`: the engine on this machine behind HTTP and a WebSocket (src/host/server.ts), serving the built
 * editor too. Prints one line, `unclip-studio server at http://127.0.0.1:N token TOKEN`; notes go to stderr.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngineServer } from '../host/server';
import { chooseDevice, type Device } from '../models/runtime/device-node';
import { deviceArg, UsageError } from './args';

export const SERVE_USAGE = [
  'usage: npm run serve -- [--port <n>] [--host <address>] [--allow-origin <origin>]... [--allow-path <dir>]...',
  '         [--data <dir>] [--dist <dir>] [--device cpu|cuda] [--wasm] [--models <dir>] [--queue <redis-url>]',
].join('\n');

export interface ServeArgs {
  port: number;
  host: string;
  allowOrigins: string[];
  allowPaths: string[];
  data: string;
  dist: string;
  /** Asked for with --device; unset: CUDA where present, else the CPU (onnxruntime-node either way). */
  device?: Device;
  /** onnxruntime-web's WASM instead of onnxruntime-node (--wasm: the browser's own runtime, for comparisons). */
  wasm: boolean;
  models?: string;
  queue?: string;
}

/** The data folder: --data, else $UNCLIP_STUDIO_DATA, else ~/.local/share/unclip-studio/server. */
export function defaultDataDir(env = process.env): string {
  return env.UNCLIP_STUDIO_DATA ?? join(homedir(), '.local', 'share', 'unclip-studio', 'server');
}

/** The shortest UNCLIP_STUDIO_TOKEN taken: a guessable token is no lock (the printed ones have 32 characters). */
export const MIN_TOKEN_LENGTH = 16;

/** The token from the environment (undefined: a fresh one is made); one too short to be safe is refused. */
export function envToken(env = process.env): string | undefined {
  const t = env.UNCLIP_STUDIO_TOKEN;
  if (!t) return undefined;
  if (t.length < MIN_TOKEN_LENGTH)
    throw new UsageError(`UNCLIP_STUDIO_TOKEN has ${t.length} characters: give at least ${MIN_TOKEN_LENGTH}`);
  return t;
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const args: ServeArgs = {
    port: 8188,
    host: '127.0.0.1',
    allowOrigins: [],
    allowPaths: [],
    data: defaultDataDir(),
    dist: fileURLToPath(new URL('../../dist', import.meta.url)),
    wasm: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--port') {
      const v = next();
      args.port = Number(v);
      if (!/^\d+$/.test(v) || args.port > 65535) throw new UsageError(`--port must be 0..65535, got "${v}"`);
    } else if (a === '--host') args.host = next();
    else if (a === '--allow-origin') {
      const v = next();
      if (!/^https?:\/\/[^/\s]+$/i.test(v.replace(/\/$/, '')))
        throw new UsageError(`--allow-origin takes an origin like http://localhost:5173, got "${v.slice(0, 80)}"`);
      args.allowOrigins.push(v.replace(/\/$/, ''));
    } else if (a === '--allow-path') {
      const v = next();
      // a typo would quietly allow nothing; a file is no folder to read from
      if (!existsSync(v) || !statSync(v).isDirectory())
        throw new UsageError(`--allow-path ${v.slice(0, 120)}: no such folder`);
      args.allowPaths.push(v);
    } else if (a === '--data') args.data = next();
    else if (a === '--dist') args.dist = next();
    else if (a === '--device') args.device = deviceArg(next());
    else if (a === '--wasm') args.wasm = true;
    else if (a === '--models') args.models = next();
    else if (a === '--queue') args.queue = next();
    else throw new UsageError(`unknown option ${a}`);
  }
  return args;
}

async function main(argv: string[]): Promise<number> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n${SERVE_USAGE}`);
      return 2;
    }
    throw e;
  }
  let token: string | undefined;
  try {
    token = envToken();
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  for (const p of args.allowPaths)
    if (resolve(p) === resolve('/'))
      console.error(`note: --allow-path ${p}: a graph sent to this server may read every file it can`);
  // CUDA where present: without --device, the CPU quietly where there is none; asked for, the reason is said
  const chosen = args.wasm ? undefined : chooseDevice(args.device ?? 'cuda');
  if (chosen?.note && args.device) console.error(`note: ${chosen.note}`);
  const engine = { native: !args.wasm, device: chosen?.device, modelsDir: args.models };
  const sweeps = args.queue ? (await import('./serve-sweeps')).queueSweeps(args.queue, args.data, engine) : undefined;
  const server = await startEngineServer({
    host: args.host,
    port: args.port,
    token,
    allowOrigins: args.allowOrigins,
    allowPaths: args.allowPaths,
    dataDir: args.data,
    distDir: args.dist,
    engine,
    sweeps,
    log: (line) => console.error(line),
  });
  console.log(`unclip-studio server at ${server.url} token ${server.token}`);
  if (args.host !== '127.0.0.1' && args.host !== 'localhost' && args.host !== '::1')
    console.error(`note: listening on ${args.host}: anyone who can reach it and has the token can run graphs here`);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().finally(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
