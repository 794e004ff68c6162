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

/** Reads a path or a URL (file:, http:, https:, data:) in Node. */
export async function readBytesNode(src: string): Promise<Uint8Array> {
  if (/^(https?|data):/i.test(src)) {
    const res = await fetch(src);
    if (!res.ok) throw new Error(`cannot fetch ${src}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  let path = src.startsWith('file:') ? fileURLToPath(src) : src;
  if (!isAbsolute(path) && !existsSync(path) && existsSync(join(PUBLIC_DIR, path))) path = join(PUBLIC_DIR, path);
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
