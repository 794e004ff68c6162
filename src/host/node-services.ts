import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The app's public folder: relative paths that are not found from the working directory resolve
 * here, as in the browser.
 */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));
import type { EngineServices } from '../node-api/services';
import { fileFacts } from '../models/runtime/file-facts-node';
import type { HostFiles } from '../models/runtime/model-files';

/** The file a path or file: URL reads (relative ones not found here: in the public folder); undefined for a URL. */
export function localPathOf(src: string): string | undefined {
  if (/^(https?|data):/i.test(src)) return undefined;
  const path = src.startsWith('file:') ? fileURLToPath(src) : src;
  return !isAbsolute(path) && !existsSync(path) && existsSync(join(PUBLIC_DIR, path)) ? join(PUBLIC_DIR, path) : path;
}

/**
 * A reader with the host's file facts (file-facts-node.ts: a file's sha256 remembered by path, size and mtime) and
 * local paths (onnxruntime-node opens a model where it is): `pathOf` says where a reference is on disk, or undefined.
 */
export function withFileFacts(
  read: (src: string) => Promise<Uint8Array>,
  pathOf: (src: string) => string | undefined | Promise<string | undefined>,
): ((src: string) => Promise<Uint8Array>) & Required<HostFiles> {
  return Object.assign((src: string) => read(src), {
    facts: async (src: string) => {
      const path = await pathOf(src);
      return path === undefined ? undefined : fileFacts(path);
    },
    localPath: async (src: string) => pathOf(src),
  });
}

/** Reads a path or a URL (file:, http:, https:, data:) in Node; its facts and local paths as withFileFacts'. */
export const readBytesNode = withFileFacts(readBytesPlain, localPathOf);

async function readBytesPlain(src: string): Promise<Uint8Array> {
  if (/^(https?|data):/i.test(src)) {
    const res = await fetch(src);
    if (!res.ok) throw new Error(`cannot fetch ${src}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const path = localPathOf(src)!;
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
}

export function nodeServices(extra: Partial<EngineServices> = {}): EngineServices {
  return { readBytes: readBytesNode, ...extra };
}
