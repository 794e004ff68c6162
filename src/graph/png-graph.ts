/**
 * The graph inside a PNG, as ComfyUI does it: an iTXt chunk (keyword `unclip-studio/graph`,
 * zlib-compressed UTF-8 graph JSON) before IEND. A PNG that carries its graph can be opened in
 * the editor or run by the CLI to make the same picture again. A PNG is untrusted input: the
 * chunk walk is bounded, the inflated text is capped (a small chunk cannot expand into gigabytes),
 * and what comes out goes through the same validator as any graph file. Beside it, the provenance chunk
 * (`unclip-studio/provenance`, src/graph/provenance.ts) says what the picture was made with.
 */
import { Unzlib, zlibSync, strFromU8, strToU8 } from 'fflate';

export const PNG_GRAPH_KEYWORD = 'unclip-studio/graph';
/** Most bytes of graph JSON a PNG may carry (the same limit as a queued graph). */
export const MAX_PNG_GRAPH_BYTES = 4 * 1024 * 1024;
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let crcTable: Uint32Array | null = null;
/** CRC-32 (ISO 3309, as PNG chunks use). */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class PngGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngGraphError';
  }
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((v, i) => bytes[i] === v);
}

interface Chunk {
  type: string;
  start: number;
  dataStart: number;
  length: number;
}

function chunks(png: Uint8Array): Chunk[] {
  if (!isPng(png)) throw new PngGraphError('is not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  let at = 8;
  while (at + 12 <= png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(png[at + 4]!, png[at + 5]!, png[at + 6]!, png[at + 7]!);
    if (at + 12 + length > png.length) throw new PngGraphError(`is truncated (the ${type} chunk runs past the end)`);
    out.push({ type, start: at, dataStart: at + 8, length });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  return out;
}

/** A PNG with the graph JSON added in an iTXt chunk (an earlier graph chunk is replaced). */
export function embedGraph(png: Uint8Array, graphJson: string): Uint8Array {
  return embedText(png, PNG_GRAPH_KEYWORD, graphJson);
}

/**
 * A PNG with `text` added in a zlib-compressed iTXt chunk under `keyword`, before IEND; an earlier chunk with the
 * same keyword is replaced, every other chunk kept as it was.
 */
export function embedText(png: Uint8Array, keywordText: string, text: string): Uint8Array {
  const list = chunks(png);
  const iend = list.find((c) => c.type === 'IEND');
  if (!iend) throw new PngGraphError('has no IEND chunk');
  const keyword = strToU8(keywordText);
  const body = zlibSync(strToU8(text), { level: 9 });
  // iTXt: keyword, 0, compression flag 1, method 0, language tag "", 0, translated keyword "", 0, text
  const data = new Uint8Array(keyword.length + 5 + body.length);
  data.set(keyword, 0);
  data.set([0, 1, 0, 0, 0], keyword.length);
  data.set(body, keyword.length + 5);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(strToU8('iTXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const kept = list.filter((c) => c.type !== 'IEND' && !isTextChunk(png, c, keywordText));
  const parts = [
    png.subarray(0, 8),
    ...kept.map((c) => png.subarray(c.start, c.start + 12 + c.length)),
    chunk,
    png.subarray(iend.start, iend.start + 12),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function isTextChunk(png: Uint8Array, c: Chunk, keyword: string): boolean {
  if (c.type !== 'iTXt') return false;
  const key = strToU8(keyword);
  return (
    c.length > key.length && key.every((b, i) => png[c.dataStart + i] === b) && png[c.dataStart + key.length] === 0
  );
}

/** The graph JSON a PNG carries, or null when it carries none. Throws PngGraphError for a broken one. */
export function extractGraph(png: Uint8Array): string | null {
  return extractText(png, PNG_GRAPH_KEYWORD, MAX_PNG_GRAPH_BYTES, 'graph');
}

/**
 * The text of the iTXt chunk under `keyword`, or null when there is none. Bounded: the text (inflated or not) may
 * be at most `maxBytes`. Throws PngGraphError naming `what` ("graph", "provenance") for a broken chunk.
 */
export function extractText(png: Uint8Array, keyword: string, maxBytes: number, what: string): string | null {
  const chunk = chunks(png).find((c) => isTextChunk(png, c, keyword));
  if (!chunk) return null;
  const data = png.subarray(chunk.dataStart, chunk.dataStart + chunk.length);
  const storedCrc = new DataView(png.buffer, png.byteOffset).getUint32(chunk.dataStart + chunk.length);
  if (crc32(png.subarray(chunk.start + 4, chunk.dataStart + chunk.length)) !== storedCrc)
    throw new PngGraphError(`its ${what} chunk is corrupt (CRC mismatch)`);
  let at = strToU8(keyword).length + 1;
  const compressed = data[at] === 1;
  at += 2; // compression flag, method
  while (at < data.length && data[at] !== 0) at++; // language tag
  at++;
  while (at < data.length && data[at] !== 0) at++; // translated keyword
  at++;
  const body = data.subarray(at);
  if (!compressed) {
    if (body.length > maxBytes) throw new PngGraphError(`its ${what} is over ${maxBytes} bytes`);
    return strFromU8(body);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  const inflater = new Unzlib((piece) => {
    size += piece.length;
    if (size > maxBytes) throw new PngGraphError(`its ${what} inflates to over ${maxBytes} bytes`);
    parts.push(piece);
  });
  try {
    inflater.push(body, true);
  } catch (e) {
    if (e instanceof PngGraphError) throw e;
    throw new PngGraphError(`its ${what} chunk cannot be inflated`);
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return strFromU8(out);
}
