/**
 * The server engine's WebSocket messages (src/host/server.ts, src/ui/server-engine.ts): JSON, with what JSON cannot
 * carry tagged so it survives the trip — typed arrays (tensors, previews, PNG bytes) as base64, non-finite numbers
 * by name, and a callback (a run's progress listener) as a number the other side calls back with.
 * Shared by the browser and Node, so it imports nothing from either.
 */

import { fromBase64, fromBase64Url, toBase64, toBase64Url } from './base64';

/**
 * The WebSocket's subprotocol. The token rides with it as a second one, `token.<base64url of the token>`: in the
 * upgrade request's Sec-WebSocket-Protocol header (a browser's WebSocket can set no other), checked before the
 * connection is upgraded, so nobody without it gets a socket (or a buffer on the server); never in a URL.
 */
export const WS_PROTOCOL = 'unclip-studio';

export function tokenProtocol(token: string): string {
  return `token.${toBase64Url(new TextEncoder().encode(token))}`;
}

/** The token offered in a Sec-WebSocket-Protocol header (undefined: none, or not with WS_PROTOCOL). */
export function tokenOfProtocols(header: string | undefined): string | undefined {
  const offered = (header ?? '').split(',').map((p) => p.trim());
  const t = offered.find((p) => p.startsWith('token.'));
  if (!offered.includes(WS_PROTOCOL) || !t) return undefined;
  return new TextDecoder().decode(fromBase64Url(t.slice('token.'.length)));
}
/** An engine API call: `args` encoded; a function argument is `{ $fn: n }`. */
export interface CallMessage {
  type: 'call';
  id: number;
  method: string;
  args: unknown[];
}
export type ClientMessage = CallMessage;

export type ServerMessage =
  | { type: 'ready'; version: string }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }
  /** A callback argument of call `id` called with `args`. */
  | { type: 'callback'; id: number; fn: number; args: unknown[] };

/** Close codes: the message was not understood; the server has as many editors as it takes. */
export const CLOSE_BAD_MESSAGE = 4400;
export const CLOSE_BUSY = 4503;

const TYPED = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedName = keyof typeof TYPED;

/** A value made JSON-safe; `fn` names each function met (a callback) by a number. */
export function encodeValue(value: unknown, fn?: (f: (...a: unknown[]) => unknown) => number): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $num: String(value) };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value === 'function') {
    if (!fn) throw new Error('a function cannot cross to the other side here');
    return { $fn: fn(value as (...a: unknown[]) => unknown) };
  }
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypedName;
    if (!(name in TYPED)) throw new Error(`cannot send a ${name}`);
    return { $typed: name, b64: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (Array.isArray(value)) return value.map((v) => encodeValue(v, fn));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeValue(v, fn);
  return out;
}

/** The value `encodeValue` made JSON-safe; `fn` turns a callback's number into a function. */
export function decodeValue(value: unknown, fn?: (n: number) => (...a: unknown[]) => unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, fn));
  const o = value as Record<string, unknown>;
  if (typeof o.$typed === 'string' && typeof o.b64 === 'string') {
    const Ctor = Object.hasOwn(TYPED, o.$typed) ? TYPED[o.$typed as TypedName] : undefined;
    if (!Ctor) throw new Error(`unknown array type ${o.$typed.slice(0, 40)}`);
    const bytes = fromBase64(o.b64);
    if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) throw new Error(`a ${o.$typed} of ${bytes.byteLength} bytes`);
    return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
  }
  if (typeof o.$num === 'string') return Number(o.$num);
  if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
  if (typeof o.$fn === 'number') {
    if (!fn) throw new Error('a callback cannot be called back here');
    return fn(o.$fn);
  }
  // own keys only, on a plain object: a "__proto__" key stays a key
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o))
    Object.defineProperty(out, k, { value: decodeValue(v, fn), enumerable: true, writable: true, configurable: true });
  return out;
}
