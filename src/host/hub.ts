/**
 * Models named by a Hugging Face repo id (`org/name` or `org/name@revision`, revision main by default), headless:
 * each file is fetched once through the hub's own client (@huggingface/hub: modelInfo for the revision's commit,
 * listFiles for the files with their sha256, downloadFile for the bytes) into a cache folder, checked against the
 * sha256 the hub lists (the git blob sha1 for a small file kept in git), with a progress bar on stderr. A later use
 * of the same repo and revision reads the cache and asks the hub nothing.
 *
 * The cache: `$UNCLIP_STUDIO_CACHE`, else `$XDG_CACHE_HOME/unclip-studio/hub`, else `~/.cache/unclip-studio/hub`:
 *
 *   models--<org>--<name>/refs/<revision>           the commit the revision named when first used
 *   models--<org>--<name>/trees/<commit>.json       the hub's file listing of that commit
 *   models--<org>--<name>/snapshots/<commit>/<file> each file, once checked
 *
 * Deleting the folder (or one repo's folder) clears it.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { downloadFile, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { rememberFileFacts } from '../models/runtime/file-facts-node';

/** A file of a repo at a revision (file '' names the repo itself). */
export interface HubRef {
  repo: string;
  revision: string;
  file: string;
}

export interface HubOptions {
  /** The cache folder (default hubCacheDir()). */
  cacheDir?: string;
  /** The hub's address (default `$UNCLIP_STUDIO_HUB_URL`, `$HF_ENDPOINT`, else https://huggingface.co). */
  hubUrl?: string;
  /** A token for private or gated repos (default `$HF_TOKEN`). */
  accessToken?: string;
  /** Where the progress bar goes (default stderr); `tty` redraws one line, else a line every quarter. */
  progress?: { write(text: string): void; tty: boolean };
  /** Whether the default progress (stderr) is a terminal (a worker thread's stderr says it is not). */
  tty?: boolean;
}

/** An org or name of a repo id as the hub allows them. */
const PART = '[A-Za-z0-9][A-Za-z0-9._-]{0,95}';
const HUB_REF = new RegExp(`^(${PART})/(${PART})(?:@([A-Za-z0-9._-]{1,100}))?(?:/(.*))?$`);

/**
 * The repo, revision and file a reference names when it has a repo id's form (`org/name[@rev][/file]`), else
 * undefined. Whether a local folder of that path wins is the caller's decision (access.ts: it does).
 */
export function parseHubRef(src: string): HubRef | undefined {
  const m = HUB_REF.exec(src);
  if (!m || m[1] === '..' || m[2] === '..') return undefined;
  return { repo: `${m[1]}/${m[2]}`, revision: m[3] ?? 'main', file: m[4] ?? '' };
}

/** `org/name@revision`, as messages and the cache name it. */
export const repoLabel = (r: { repo: string; revision: string }) => `${r.repo}@${r.revision}`;

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UNCLIP_STUDIO_CACHE) return env.UNCLIP_STUDIO_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'unclip-studio', 'hub');
}

export function defaultHubUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.UNCLIP_STUDIO_HUB_URL || env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** A problem reading from the hub or its cache; the message names the repo and the file. */
export class HubError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubError';
  }
}

interface Tree {
  commit: string;
  files: Map<string, ListFileEntry>;
}

const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** The SHA-1 git gives a file kept in git (not LFS): sha1 of `blob <size>\0` and the bytes. */
function gitBlobHash(size: number) {
  const h = createHash('sha1');
  h.update(`blob ${size}\0`);
  return h;
}

function progressBar(label: string, total: number, out: NonNullable<HubOptions['progress']>) {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  let shown = -1;
  const draw = (done: number) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const step = out.tty ? Math.floor(fraction * 100) : Math.floor(fraction * 4) * 25;
    if (step === shown) return;
    shown = step;
    const bar = '#'.repeat(Math.round(fraction * 24)).padEnd(24, '.');
    const percent = String(Math.floor(fraction * 100)).padStart(3);
    const line = `downloading ${label} [${bar}] ${percent}% ${mb(done)}/${mb(total)} MB`;
    out.write(out.tty ? `\r${line}${fraction === 1 ? '\n' : ''}` : `${line}\n`);
  };
  return draw;
}

/** Reads files of hub repos through the cache, fetching each one the first time. */
export function createHubReader(options: HubOptions = {}) {
  const cacheDir = options.cacheDir ?? hubCacheDir();
  const hubUrl = (options.hubUrl ?? defaultHubUrl()).replace(/\/+$/, '');
  const accessToken = options.accessToken ?? (process.env.HF_TOKEN || undefined);
  const credentials = accessToken ? { accessToken } : {};
  const progress = options.progress ?? {
    write: (text: string) => process.stderr.write(text),
    tty: options.tty ?? Boolean(process.stderr.isTTY),
  };
  const trees = new Map<string, Promise<Tree>>();
  const downloads = new Map<string, Promise<string>>();
  const repoDir = (repo: string) => join(cacheDir, `models--${repo.replace('/', '--')}`);

  async function fetchTree(ref: HubRef): Promise<Tree> {
    const dir = repoDir(ref.repo);
    const refFile = join(dir, 'refs', ref.revision);
    if (existsSync(refFile)) {
      const commit = (await readFile(refFile, 'utf8')).trim();
      const listing = join(dir, 'trees', `${commit}.json`);
      if (/^[A-Za-z0-9._-]+$/.test(commit) && existsSync(listing)) {
        const entries = JSON.parse(await readFile(listing, 'utf8')) as ListFileEntry[];
        return { commit, files: new Map(entries.map((e) => [e.path, e])) };
      }
    }
    let commit: string;
    try {
      const info = await modelInfo({
        name: ref.repo,
        revision: ref.revision,
        hubUrl,
        additionalFields: ['sha'],
        ...credentials,
      });
      commit = typeof info.sha === 'string' && /^[A-Za-z0-9._-]+$/.test(info.sha) ? info.sha : ref.revision;
    } catch (e) {
      const status = statusOf(e);
      if (status === 404 || status === 401)
        throw new HubError(
          `${repoLabel(ref)}: no such model repo or revision on ${hubUrl}` +
            `${status === 401 || !accessToken ? ' (a private or gated one needs HF_TOKEN)' : ''}`,
        );
      throw new HubError(`${repoLabel(ref)}: cannot reach ${hubUrl} (${(e as Error).message})`);
    }
    const entries: ListFileEntry[] = [];
    try {
      for await (const e of listFiles({ repo: ref.repo, revision: commit, recursive: true, hubUrl, ...credentials }))
        if (e.type === 'file') entries.push(e);
    } catch (e) {
      throw new HubError(`${repoLabel(ref)}: cannot list its files on ${hubUrl} (${(e as Error).message})`);
    }
    await mkdir(join(dir, 'trees'), { recursive: true });
    await mkdir(dirname(refFile), { recursive: true });
    await writeFile(join(dir, 'trees', `${commit}.json`), JSON.stringify(entries));
    await writeFile(refFile, commit);
    return { commit, files: new Map(entries.map((e) => [e.path, e])) };
  }

  const treeOf = (ref: HubRef) => {
    const key = `${ref.repo}@${ref.revision}`;
    let p = trees.get(key);
    if (!p) {
      p = fetchTree(ref);
      trees.set(key, p);
      p.catch(() => trees.delete(key));
    }
    return p;
  };

  async function fetchFile(ref: HubRef, tree: Tree, entry: ListFileEntry, path: string): Promise<string> {
    const label = `${repoLabel(ref)}/${ref.file}`;
    const blob = await downloadFile({ repo: ref.repo, path: ref.file, revision: tree.commit, hubUrl, ...credentials });
    if (!blob) throw new HubError(`${label}: the hub lists it but does not serve it`);
    const expected = entry.lfs ? { algo: 'sha256', hex: entry.lfs.oid } : { algo: 'sha1', hex: entry.oid };
    const hash = entry.lfs ? createHash('sha256') : gitBlobHash(entry.size);
    // a small file kept in git is listed by its sha1: its sha256 too, for the lock's hash cache
    const sha256 = entry.lfs ? undefined : createHash('sha256');
    // one name per download: two processes fetching the same file do not write into each other's
    const incomplete = `${path}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.incomplete`;
    await mkdir(dirname(path), { recursive: true });
    const draw = progressBar(label, entry.size, progress);
    const out = createWriteStream(incomplete);
    let done = 0;
    try {
      draw(0);
      for await (const chunk of blob.stream() as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        sha256?.update(chunk);
        if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
        done += chunk.length;
        draw(done);
      }
      out.end();
      await finished(out);
    } catch (e) {
      out.destroy();
      await rm(incomplete, { force: true });
      throw new HubError(`${label}: the download failed (${(e as Error).message})`);
    }
    const got = hash.digest('hex');
    if (done !== entry.size || (expected.hex && got !== expected.hex.toLowerCase())) {
      await rm(incomplete, { force: true });
      throw new HubError(
        `${label}: the download does not match the hub's listing ` +
          (done !== entry.size
            ? `(${done} bytes, the hub lists ${entry.size})`
            : `(${expected.algo} ${got.slice(0, 12)}…, the hub lists ${expected.hex!.slice(0, 12)}…)`) +
          '; it was not kept',
      );
    }
    await rename(incomplete, path);
    // checked as it was written: the lock and the sessions take its sha256 without hashing it again
    await rememberFileFacts(path, entry.lfs ? got : sha256!.digest('hex'));
    return path;
  }

  /** The cached path of a repo's file, fetched first where it is not cached. */
  async function localPath(ref: HubRef): Promise<string> {
    const tree = await treeOf(ref);
    const entry = tree.files.get(ref.file);
    if (!entry) throw new HubError(`${repoLabel(ref)}/${ref.file}: not a file of the repo`);
    const path = join(repoDir(ref.repo), 'snapshots', tree.commit, ...ref.file.split('/'));
    if (existsSync(path) && statSync(path).size === entry.size) return path;
    const key = `${ref.repo}\n${tree.commit}\n${ref.file}`;
    let p = downloads.get(key);
    if (!p) {
      p = fetchFile(ref, tree, entry, path);
      downloads.set(key, p);
      void p.catch(() => undefined).finally(() => downloads.delete(key));
    }
    return p;
  }

  return {
    cacheDir,
    hubUrl,
    localPath,
    /** A repo's file's bytes (from the cache, fetched there first where needed). */
    async read(ref: HubRef): Promise<Uint8Array> {
      if (ref.file.split('/').some((s) => s === '..' || s === '.' || s === ''))
        throw new HubError(`${repoLabel(ref)}/${ref.file}: not a file of the repo`);
      return new Uint8Array(await readFile(await localPath(ref)));
    },
  };
}

export type HubReader = ReturnType<typeof createHubReader>;
