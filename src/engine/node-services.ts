import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { EngineServices } from './services';

/** Reads a path or a URL (file:, http:, https:, data:) in Node. */
export async function readBytesNode(src: string): Promise<Uint8Array> {
  if (/^(https?|data):/i.test(src)) {
    const res = await fetch(src);
    if (!res.ok) throw new Error(`cannot fetch ${src}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const path = src.startsWith('file:') ? fileURLToPath(src) : src;
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
