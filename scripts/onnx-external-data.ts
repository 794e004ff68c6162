/**
 * Model folders whose ONNX files keep their weights in external data files, for the tests (issue 38: a published
 * model above 2 GB is always stored so). Made from the bundled models by a hand-written split of the protobuf, as
 * onnx's `save_model(..., save_as_external_data=True)` writes it: each initializer's raw_data of at least
 * `minBytes` moves into the data file (64-byte aligned) and the tensor names it in external_data (location,
 * offset, length) with data_location EXTERNAL; smaller ones stay inline. No Python onnx package is needed.
 *
 *   mini-clip-external/      the mini-CLIP folder (published-clip.ts) with optimum's names:
 *                            onnx/text_model.onnx + onnx/text_model.onnx_data, onnx/vision_model.onnx + ..._data
 *   mini-decoder-external/   the mini decoder in diffusers' layout (published-unet.ts):
 *                            unet/model.onnx + unet/weights.pb
 *
 * Run: npx tsx scripts/onnx-external-data.ts [--out test-artifacts/published]
 */
import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { protoFields } from '../src/models/runtime/onnx-external';
import { makeMiniClipFolder, PUBLISHED_DIR } from './published-clip';
import { makeMiniDecoderFolder } from './published-unet';

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Writes fields as the protobuf wire format has them. */
class Writer {
  private parts: Uint8Array[] = [];
  raw(bytes: Uint8Array | number[]) {
    this.parts.push(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  }
  varint(field: number, value: number) {
    this.raw(varintBytes(field * 8));
    this.raw(varintBytes(value));
  }
  bytes(field: number, payload: Uint8Array) {
    this.raw(varintBytes(field * 8 + 2));
    this.raw(varintBytes(payload.length));
    this.raw(payload);
  }
  /** A field copied as it was (its wire type and bytes). */
  copy(src: Uint8Array, f: { field: number; wire: number; start: number; end: number }) {
    if (f.wire === 2) this.bytes(f.field, src.subarray(f.start, f.end));
    else {
      this.raw(varintBytes(f.field * 8 + f.wire));
      this.raw(src.subarray(f.start, f.end));
    }
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const utf8 = new TextEncoder();
const entry = (key: string, value: string) => {
  const w = new Writer();
  w.bytes(1, utf8.encode(key));
  w.bytes(2, utf8.encode(value));
  return w.finish();
};

/** An ONNX model split into its graph and one external data file named `location` (relative to the graph). */
export function splitExternalData(
  model: Uint8Array,
  location: string,
  minBytes = 1024,
): { graph: Uint8Array; data: Uint8Array; moved: number } {
  const chunks: Uint8Array[] = [];
  let offset = 0,
    moved = 0;
  const tensor = (start: number, end: number): Uint8Array => {
    const fields = [...protoFields(model, start, end)];
    const raw = fields.find((f) => f.field === 9 && f.wire === 2);
    const w = new Writer();
    if (!raw || raw.end - raw.start < minBytes) {
      for (const f of fields) w.copy(model, f);
      return w.finish();
    }
    const pad = (64 - (offset % 64)) % 64;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(model.subarray(raw.start, raw.end));
    for (const f of fields) if (f !== raw) w.copy(model, f);
    w.bytes(13, entry('location', location));
    w.bytes(13, entry('offset', String(offset)));
    w.bytes(13, entry('length', String(raw.end - raw.start)));
    w.varint(14, 1);
    offset += raw.end - raw.start;
    moved++;
    return w.finish();
  };
  const graph = (start: number, end: number): Uint8Array => {
    const w = new Writer();
    for (const f of protoFields(model, start, end))
      if (f.field === 5 && f.wire === 2) w.bytes(5, tensor(f.start, f.end));
      else w.copy(model, f);
    return w.finish();
  };
  const w = new Writer();
  for (const f of protoFields(model))
    if (f.field === 7 && f.wire === 2) w.bytes(7, graph(f.start, f.end));
    else w.copy(model, f);
  const data = new Writer();
  for (const c of chunks) data.raw(c);
  return { graph: w.finish(), data: data.finish(), moved };
}

/** Splits `<dir>/<file>` in place: the graph stays there, the weights go to `location` beside it. */
function splitInPlace(dir: string, file: string, location: string) {
  const { graph, data, moved } = splitExternalData(new Uint8Array(readFileSync(join(dir, file))), location);
  if (!moved) throw new Error(`${file}: no initializer was big enough to move`);
  writeFileSync(join(dir, file), graph);
  writeFileSync(join(dir, file.replace(/[^/]+$/, location)), data);
}

function copyThenSplit(from: string, dir: string, files: Array<[string, string]>): string {
  if (existsSync(join(dir, files[0]![0].replace(/[^/]+$/, files[0]![1])))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(from, tmp, { recursive: true });
  for (const [file, location] of files) splitInPlace(tmp, file, location);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** The mini-CLIP folder with each half's weights in `<half>.onnx_data` (optimum's names). */
export function makeExternalClipFolder(dir = join(PUBLISHED_DIR, 'mini-clip-external')): string {
  return copyThenSplit(makeMiniClipFolder(), dir, [
    ['onnx/text_model.onnx', 'text_model.onnx_data'],
    ['onnx/vision_model.onnx', 'vision_model.onnx_data'],
  ]);
}

/** The mini decoder's diffusers folder with the U-Net's weights in unet/weights.pb (diffusers' exports' name). */
export function makeExternalDecoderFolder(dir = join(PUBLISHED_DIR, 'mini-decoder-external')): string {
  return copyThenSplit(makeMiniDecoderFolder(), dir, [['unet/model.onnx', 'weights.pb']]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? resolve(process.argv[at + 1]!) : PUBLISHED_DIR;
  console.log(makeExternalClipFolder(join(out, 'mini-clip-external')));
  console.log(makeExternalDecoderFolder(join(out, 'mini-decoder-external')));
}
