/**
 * Which external data files an ONNX model needs: the `location` of every tensor whose bytes live outside the
 * graph (TensorProto.data_location EXTERNAL, its external_data entries location / offset / length). ONNX keeps a
 * model above 2 GB this way (protobuf's limit); optimum writes `onnx/text_model.onnx_data`, diffusers' exports
 * `unet/weights.pb` or `model.onnx_data`, each named relative to the model file's folder.
 *
 * A hand walk of the protobuf wire format instead of a protobuf library: it reads five fields of four message
 * types and skips everything else by its length, so a 900 MB graph is walked in about a millisecond without
 * decoding its weights; protobufjs with ONNX's schema would be ~200 kB in the browser bundle for this, and
 * onnx-proto on npm has not been released since 2020 (ONNX IR 6).
 */
import { describeValue } from '../../tensor/quote';

/** One field of a protobuf message: its number, wire type, and value (varint) or byte range (length-delimited). */
export interface ProtoField {
  field: number;
  wire: number;
  /** A varint's value (wire type 0). */
  value: number;
  /** Where the field's bytes are (wire type 2: its payload; others: the fixed bytes). */
  start: number;
  end: number;
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0,
    scale = 1,
    i = at;
  for (;;) {
    if (i >= bytes.length || i - at > 9) throw new Error('a varint runs past the end');
    const b = bytes[i++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i];
    scale *= 128;
  }
}

/** The fields of the message in bytes[start, end), in file order. */
export function* protoFields(bytes: Uint8Array, start = 0, end = bytes.length): Generator<ProtoField> {
  let at = start;
  while (at < end) {
    const [tag, next] = varint(bytes, at);
    const field = Math.floor(tag / 8),
      wire = tag % 8;
    at = next;
    if (wire === 0) {
      const [value, after] = varint(bytes, at);
      yield { field, wire, value, start: at, end: after };
      at = after;
    } else if (wire === 2) {
      const [length, after] = varint(bytes, at);
      if (after + length > end) throw new Error(`field ${field} runs past the end of its message`);
      yield { field, wire, value: length, start: after, end: after + length };
      at = after + length;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (at + size > end) throw new Error(`field ${field} runs past the end of its message`);
      yield { field, wire, value: 0, start: at, end: at + size };
      at += size;
    } else throw new Error(`wire type ${wire} (field ${field}) is not one ONNX uses`);
  }
}

// field numbers from onnx.proto3 (ONNX IR 10)
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1,
  GRAPH_INITIALIZER = 5,
  GRAPH_SPARSE_INITIALIZER = 15;
const NODE_ATTRIBUTE = 5;
const ATTR_T = 5,
  ATTR_G = 6,
  ATTR_TENSORS = 10,
  ATTR_GRAPHS = 11,
  ATTR_SPARSE_TENSOR = 22,
  ATTR_SPARSE_TENSORS = 23;
const SPARSE_VALUES = 1,
  SPARSE_INDICES = 2;
const TENSOR_EXTERNAL_DATA = 13,
  TENSOR_DATA_LOCATION = 14,
  DATA_LOCATION_EXTERNAL = 1;
const ENTRY_KEY = 1,
  ENTRY_VALUE = 2;

const text = new TextDecoder();

/** Why a location cannot be read beside the model (absolute, or leading out of its folder), or null. */
export function locationProblem(location: string): string | null {
  if (location === '' || location.includes('\0')) return 'is empty or has a NUL';
  if (/^([a-z]:)?[\\/]/i.test(location) || /^[a-z][a-z0-9+.-]*:/i.test(location)) return 'is not a relative path';
  if (location.split(/[\\/]/).some((s) => s === '..')) return "leads out of the model file's folder";
  return null;
}

/**
 * The external data locations an ONNX model's tensors name, each once, in the order they first appear (graph
 * initializers, sparse initializers, and tensors in node attributes, subgraphs included). Throws on a file that is
 * not a protobuf, or on a location that is absolute or leads out of the model's folder (a model must not make the
 * runtime read any other file).
 */
export function externalDataLocations(bytes: Uint8Array): string[] {
  const found = new Set<string>();
  const tensor = (start: number, end: number) => {
    let external = false;
    let location: string | undefined;
    for (const f of protoFields(bytes, start, end)) {
      if (f.field === TENSOR_DATA_LOCATION && f.wire === 0) external = f.value === DATA_LOCATION_EXTERNAL;
      else if (f.field === TENSOR_EXTERNAL_DATA && f.wire === 2) {
        let key = '',
          value = '';
        for (const e of protoFields(bytes, f.start, f.end))
          if (e.wire === 2 && e.field === ENTRY_KEY) key = text.decode(bytes.subarray(e.start, e.end));
          else if (e.wire === 2 && e.field === ENTRY_VALUE) value = text.decode(bytes.subarray(e.start, e.end));
        if (key === 'location') location = value;
      }
    }
    if (!external) return;
    if (location === undefined) throw new Error('a tensor is marked external but names no location');
    const problem = locationProblem(location);
    if (problem) throw new Error(`external data location ${describeValue(location)} ${problem}`);
    found.add(location);
  };
  const sparse = (start: number, end: number) => {
    for (const f of protoFields(bytes, start, end))
      if (f.wire === 2 && (f.field === SPARSE_VALUES || f.field === SPARSE_INDICES)) tensor(f.start, f.end);
  };
  const graph = (start: number, end: number, depth: number): void => {
    // subgraphs nest (If, Loop, Scan bodies); a file nesting them this deep is not a model
    if (depth > 64) throw new Error('subgraphs nest more than 64 deep');
    for (const f of protoFields(bytes, start, end)) {
      if (f.wire !== 2) continue;
      if (f.field === GRAPH_INITIALIZER) tensor(f.start, f.end);
      else if (f.field === GRAPH_SPARSE_INITIALIZER) sparse(f.start, f.end);
      else if (f.field === GRAPH_NODE)
        for (const a of protoFields(bytes, f.start, f.end)) {
          if (a.field !== NODE_ATTRIBUTE || a.wire !== 2) continue;
          for (const v of protoFields(bytes, a.start, a.end)) {
            if (v.wire !== 2) continue;
            if (v.field === ATTR_T || v.field === ATTR_TENSORS) tensor(v.start, v.end);
            else if (v.field === ATTR_G || v.field === ATTR_GRAPHS) graph(v.start, v.end, depth + 1);
            else if (v.field === ATTR_SPARSE_TENSOR || v.field === ATTR_SPARSE_TENSORS) sparse(v.start, v.end);
          }
        }
    }
  };
  let graphs = 0;
  for (const f of protoFields(bytes))
    if (f.field === MODEL_GRAPH && f.wire === 2) {
      graphs++;
      graph(f.start, f.end, 0);
    }
  if (!graphs) throw new Error('it has no graph (not an ONNX model)');
  return [...found];
}

/** What an ONNX file declares: each input's and output's name, element type and shape (a string: a free axis). */
export interface OnnxSignature {
  inputs: Array<{ name: string; type: string; shape: Array<number | string> }>;
  outputs: Array<{ name: string; type: string; shape: Array<number | string> }>;
}

/** TensorProto.DataType as onnxruntime's JavaScript API names the types. */
const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};
const GRAPH_INPUT = 11,
  GRAPH_OUTPUT = 12,
  TENSOR_NAME = 8;

/**
 * The graph's inputs and outputs with their element types and shapes, as onnxruntime's session metadata gives them
 * (inputs that are initializers are not inputs), read from the protobuf: no session is made and no weight is read,
 * so a diffusers folder is inspected without loading its U-Net (or its external data).
 */
export function onnxSignature(bytes: Uint8Array): OnnxSignature {
  const str = (f: ProtoField) => text.decode(bytes.subarray(f.start, f.end));
  const valueInfo = (start: number, end: number) => {
    let name = '',
      type = 'unknown';
    const shape: Array<number | string> = [];
    for (const f of protoFields(bytes, start, end)) {
      if (f.wire !== 2) continue;
      if (f.field === 1) name = str(f);
      else if (f.field === 2)
        for (const t of protoFields(bytes, f.start, f.end)) {
          if (t.field !== 1 || t.wire !== 2) continue; // tensor_type only
          for (const tt of protoFields(bytes, t.start, t.end)) {
            if (tt.field === 1 && tt.wire === 0) type = ELEMENT_TYPES[tt.value] ?? 'unknown';
            else if (tt.field === 2 && tt.wire === 2)
              for (const d of protoFields(bytes, tt.start, tt.end)) {
                if (d.field !== 1 || d.wire !== 2) continue;
                let dim: number | string = '';
                for (const v of protoFields(bytes, d.start, d.end))
                  if (v.field === 1 && v.wire === 0) dim = v.value;
                  else if (v.field === 2 && v.wire === 2) dim = str(v);
                shape.push(dim);
              }
          }
        }
    }
    return { name, type, shape };
  };
  for (const m of protoFields(bytes)) {
    if (m.field !== MODEL_GRAPH || m.wire !== 2) continue;
    const initializers = new Set<string>();
    const inputs: OnnxSignature['inputs'] = [],
      outputs: OnnxSignature['outputs'] = [];
    for (const f of protoFields(bytes, m.start, m.end)) {
      if (f.wire !== 2) continue;
      if (f.field === GRAPH_INITIALIZER)
        for (const t of protoFields(bytes, f.start, f.end))
          if (t.field === TENSOR_NAME && t.wire === 2) initializers.add(str(t));
      if (f.field === GRAPH_INPUT) inputs.push(valueInfo(f.start, f.end));
      else if (f.field === GRAPH_OUTPUT) outputs.push(valueInfo(f.start, f.end));
    }
    return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
  }
  throw new Error('it has no graph (not an ONNX model)');
}
