/**
 * What Node knows of a model file without reading it again: its sha256, size and, for an ONNX file, the external
 * data files it names. Hashing a 909 MB CLIP folder took seconds on every lock check and every run; a file whose
 * absolute path, size, mtime, ctime, inode and device are those it had when it was hashed is taken to hold the same
 * bytes (as git's index does). Size and mtime alone are not enough: `cp -p`, `rsync -a` and `tar x` put another
 * file's bytes there keeping both, but they make a new inode or set the ctime, which no program can set back.
 * Kept in memory for the process and in `file-hashes.json` in the cache folder (`$UNCLIP_STUDIO_CACHE`, else
 * `$XDG_CACHE_HOME/unclip-studio`, else `~/.cache/unclip-studio`: hub.ts's convention), so the next process does
 * not hash either. Files the hub client downloaded and checked are entered as they are written (hub.ts).
 * Deleting the JSON file clears it; a file changed or replaced in any way is hashed again. The remembered sha256
 * stands only for a file opened by its path (onnxruntime-node): bytes read anyway are hashed as they are (here and
 * in model-files.ts), so what a session takes is what was checked.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { externalDataLocations, onnxSignature, type OnnxSignature } from './onnx-external';
import type { FileFacts } from './model-files';

/** A file as it was hashed: its stat (sameFile) says whether it still is. */
interface Entry {
  sha256: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
  externalData?: string[];
  signature?: OnnxSignature;
}

/** The JSON file the facts persist in (null: memory only). */
export function fileFactsPath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.UNCLIP_STUDIO_HASH_CACHE === '0') return null;
  if (env.UNCLIP_STUDIO_CACHE) return join(env.UNCLIP_STUDIO_CACHE, 'file-hashes.json');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'unclip-studio', 'file-hashes.json');
}

/** How much hashing this process did (a test's spy; the bench's numbers). */
export const hashCounters = { files: 0, bytes: 0 };

/** The JSON file's format: 2 added ctime, inode and device (entries of 1 are hashed again). */
const VERSION = 2;
/** Files kept at most in the JSON file (the newest). */
const MAX_ENTRIES = 4000;
/** Above this an ONNX file is hashed as a stream and not walked (protobuf's own limit is 2 GiB). */
const WALK_MAX = 2 ** 31 - 1;

const memory = new Map<string, Entry>();
let loaded: { file: string | null; done: Promise<void> } | undefined;

function load(file: string | null): Promise<void> {
  if (loaded?.file === file) return loaded.done;
  const done = (async () => {
    if (!file) return;
    try {
      const json = JSON.parse(await readFile(file, 'utf8')) as { version?: number; files?: Record<string, Entry> };
      if (json.version !== VERSION || !json.files) return;
      for (const [path, e] of Object.entries(json.files)) if (!memory.has(path) && validEntry(e)) memory.set(path, e);
    } catch {
      // no file yet, or one spoilt: hash again
    }
  })();
  loaded = { file, done };
  return done;
}

const validEntry = (e: Entry) =>
  !!e &&
  typeof e.sha256 === 'string' &&
  /^[0-9a-f]{64}$/.test(e.sha256) &&
  Number.isFinite(e.size) &&
  Number.isFinite(e.mtimeMs) &&
  Number.isFinite(e.ctimeMs) &&
  Number.isFinite(e.ino) &&
  Number.isFinite(e.dev) &&
  (e.externalData === undefined ||
    (Array.isArray(e.externalData) && e.externalData.every((l) => typeof l === 'string'))) &&
  (e.signature === undefined || (Array.isArray(e.signature.inputs) && Array.isArray(e.signature.outputs)));

let saving = Promise.resolve();
/** Writes the memory into the JSON file (merged with what another process wrote), through a temporary file. */
function save(file: string | null): Promise<void> {
  if (!file) return Promise.resolve();
  saving = saving.then(async () => {
    try {
      let onDisk: Record<string, Entry> = {};
      try {
        const json = JSON.parse(await readFile(file, 'utf8')) as { version?: number; files?: Record<string, Entry> };
        if (json.version === VERSION) onDisk = json.files ?? {};
      } catch {
        // none yet
      }
      const files = { ...onDisk, ...Object.fromEntries(memory) };
      const kept = Object.entries(files).slice(-MAX_ENTRIES);
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${crypto.randomUUID()}.tmp`; // unique per worker thread too
      await writeFile(tmp, JSON.stringify({ version: VERSION, files: Object.fromEntries(kept) }));
      await rename(tmp, file);
    } catch {
      // the cache is an optimisation: a read-only home still runs, hashing each time
    }
  });
  return saving;
}

async function hashStream(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const isOnnx = (path: string) => /\.onnx$/i.test(path);

/** What of a file's stat an entry keeps. */
const statOf = (s: Stats) => ({ size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev });

/** Whether a stat is the one an entry was made with: the same file, not written, renamed over or copied onto. */
const sameFile = (e: ReturnType<typeof statOf>, s: Stats) =>
  e.size === s.size && e.mtimeMs === s.mtimeMs && e.ctimeMs === s.ctimeMs && e.ino === s.ino && e.dev === s.dev;

/** An ONNX file's external data locations and signature; none where we cannot walk it (the runtime says why). */
function walk(bytes: Uint8Array): Pick<Entry, 'externalData' | 'signature'> {
  try {
    return { externalData: externalDataLocations(bytes), signature: onnxSignature(bytes) };
  } catch {
    return {};
  }
}

/**
 * A file's sha256 and size (and an `.onnx` file's external data locations): from the cache where the file's
 * path and stat are those it was hashed with, else read and hashed now (bytes read are always hashed).
 * Rejects like readFile (ENOENT...).
 */
export async function fileFacts(path: string, env: NodeJS.ProcessEnv = process.env): Promise<FileFacts> {
  const abs = resolve(path);
  const file = fileFactsPath(env);
  await load(file);
  const before = await stat(abs);
  const known = memory.get(abs);
  const fresh = known && sameFile(known, before);
  if (fresh && ((known.externalData && known.signature) || !isOnnx(abs) || known.size > WALK_MAX))
    return factsOf(known);
  let sha256: string;
  let walked: Pick<Entry, 'externalData' | 'signature'> = {};
  if (isOnnx(abs) && before.size <= WALK_MAX) {
    // read to be walked: hashed too, so the facts are of these bytes (not of a file the stat only looks like)
    const bytes = new Uint8Array(await readFile(abs));
    walked = walk(bytes);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    hashCounters.files++;
    hashCounters.bytes += bytes.length;
  } else {
    sha256 = await hashStream(abs);
    hashCounters.files++;
    hashCounters.bytes += before.size;
  }
  const after = await stat(abs);
  const entry: Entry = { sha256, ...statOf(after), ...walked };
  // a file written while it was read is not remembered: the bytes hashed may be neither version
  if (sameFile(statOf(before), after)) {
    memory.delete(abs);
    memory.set(abs, entry);
    await save(file);
  }
  return factsOf(entry);
}

const factsOf = (e: Entry): FileFacts => ({
  sha256: e.sha256,
  bytes: e.size,
  ...(e.externalData ? { externalData: [...e.externalData] } : {}),
  ...(e.signature ? { signature: e.signature } : {}),
});

/**
 * Enters a file whose sha256 the caller has checked as it wrote it (the hub client's downloads), so its first use
 * does not hash it again.
 */
export async function rememberFileFacts(path: string, sha256: string, env: NodeJS.ProcessEnv = process.env) {
  const abs = resolve(path);
  const file = fileFactsPath(env);
  await load(file);
  const s = await stat(abs);
  memory.delete(abs);
  memory.set(abs, { sha256, ...statOf(s) });
  await save(file);
}

/** Forgets what this process remembers (tests: a fresh process). */
export function forgetFileFacts(): void {
  memory.clear();
  loaded = undefined;
}
