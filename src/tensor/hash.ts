import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Hex SHA-256 of a string or bytes (@noble/hashes: audited, sync, same in browser and Node). */
export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === 'string' ? utf8ToBytes(data) : data));
}

/**
 * Hex SHA-256 of bytes by the platform's native digest (`crypto.subtle`: browsers in secure contexts, Node >= 19),
 * about 10x faster than the JavaScript one on model files; falls back to @noble/hashes where there is none (a page
 * served over plain http from another host is not a secure context).
 */
export async function sha256HexAsync(data: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!subtle) return sha256Hex(data);
  const digest = await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return bytesToHex(new Uint8Array(digest));
}

/**
 * sha256 of bytes already hashed, by the array's identity: a model file's bytes are hashed when a folder is
 * described, when the browser's model cache downloads them and when a session is opened from them, and each of
 * those would otherwise hash the same hundreds of megabytes again. Model bytes are never written after they are
 * read; a caller that did write them must not hash through this.
 */
const hashedBytes = new WeakMap<Uint8Array, string>();

/** The sha256 of bytes read once and not written since (`sha256HexAsync`, remembered by the array). */
export async function sha256OfBytes(data: Uint8Array): Promise<string> {
  const known = hashedBytes.get(data);
  if (known !== undefined && data.byteLength > 0) return known;
  const digest = await sha256HexAsync(data);
  hashedBytes.set(data, digest);
  return digest;
}

/**
 * Says that these bytes have this sha256 (a reader that checked them: the browser's model cache keeps only files whose
 * sha256 it checked, and says so of a copy it reads back), so `sha256OfBytes` does not hash them again.
 */
export function knownSha256(data: Uint8Array, sha256: string): Uint8Array {
  hashedBytes.set(data, sha256);
  return data;
}
