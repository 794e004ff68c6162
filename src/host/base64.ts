/**
 * Base64 for the browser and Node alike (the server's WebSocket messages, src/host/wire.ts; the editor's share links,
 * src/ui/files.ts): Node's Buffer where there is one (fast on tensors), else btoa/atob in chunks. Imports nothing.
 */

type BufferLike = typeof Buffer;
const nodeBuffer = (): BufferLike | undefined => (globalThis as { Buffer?: BufferLike }).Buffer;

export function toBase64(bytes: Uint8Array): string {
  const B = nodeBuffer();
  if (B) return B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  // in chunks: String.fromCharCode takes only so many arguments
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The bytes of a base64 text, in a copy that owns its buffer (aligned for any typed array view). */
export function fromBase64(text: string): Uint8Array {
  const B = nodeBuffer();
  if (B) return new Uint8Array(B.from(text, 'base64'));
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** base64url without padding (RFC 4648 §5): safe in a URL, a hash, an HTTP header token. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  return fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'));
}
