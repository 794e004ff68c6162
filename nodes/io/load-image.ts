import { decode as decodePng } from 'fast-png';
import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { string } from '../../src/node-api';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';

/** PNG bytes -> [1, H, W, 3] in [0, 1]; alpha is composited over white, palettes expanded (fast-png decodes). */
export function decodePngImage(bytes: Uint8Array): Float32Tensor {
  const png = decodePng(bytes);
  const { width: w, height: h, channels, depth } = png;
  const max = depth === 16 ? 65535 : depth === 8 ? 255 : (1 << depth) - 1;
  const out = new Float32Array(w * h * 3);
  const palette = png.palette;
  const data = png.data as ArrayLike<number>;
  for (let i = 0; i < w * h; i++) {
    let r: number,
      g: number,
      b: number,
      a = 1;
    if (palette) {
      const entry = palette[data[i]!]!;
      [r, g, b] = [entry[0]! / 255, entry[1]! / 255, entry[2]! / 255];
      if (entry.length > 3) a = entry[3]! / 255;
    } else if (channels >= 3) {
      r = data[i * channels]! / max;
      g = data[i * channels + 1]! / max;
      b = data[i * channels + 2]! / max;
      if (channels === 4) a = data[i * channels + 3]! / max;
    } else {
      r = g = b = data[i * channels]! / max;
      if (channels === 2) a = data[i * channels + 1]! / max;
    }
    out[i * 3] = r * a + (1 - a);
    out[i * 3 + 1] = g * a + (1 - a);
    out[i * 3 + 2] = b * a + (1 - a);
  }
  return float32([1, h, w, 3], out);
}

export default defineNode({
  type: 'io/load-image',
  version: 1,
  title: 'Load image',
  description: 'A PNG from a file path or a URL (data: URLs too); transparent pixels over white',
  inputs: {},
  outputs: { image: 'Image' },
  params: {
    src: string({ default: 'examples/red-circle.png', label: 'File or URL', maxLength: 5_000_000, reference: true }),
  },
  run: async (_, { src }, ctx) => {
    if (!src.trim()) throw new NodeError(ctx.nodeId, 'no file or URL given', 'params.src');
    let bytes: Uint8Array;
    try {
      bytes = await ctx.services.readBytes(src.trim());
    } catch (e) {
      throw new NodeError(ctx.nodeId, (e as Error).message, 'params.src');
    }
    const signature = [137, 80, 78, 71, 13, 10, 26, 10];
    if (bytes.length < 8 || signature.some((v, i) => bytes[i] !== v)) {
      throw new NodeError(
        ctx.nodeId,
        `${src.length > 80 ? src.slice(0, 80) + '…' : src} is not a PNG file`,
        'params.src',
      );
    }
    try {
      return { image: decodePngImage(bytes) };
    } catch (e) {
      throw new NodeError(ctx.nodeId, `cannot decode the PNG: ${(e as Error).message}`, 'params.src');
    }
  },
});
