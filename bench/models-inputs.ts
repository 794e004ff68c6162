/**
 * What `npm run bench -- models` feeds every side (ours in Node and Chromium, transformers.js in Node and Chromium):
 * the same 8 captions, the same 4 pictures of 224 x 224, and the CLIP graph our engine runs them through.
 */
import { encode as encodePng } from 'fast-png';

/** Eight captions; a run's number is appended (`#3`) so each warm run is new work, not a memo hit. */
export const CAPTIONS = [
  'a large red circle on a white background',
  'two small blue squares side by side',
  'a green triangle above a yellow cross',
  'a photograph of a dog running on the beach',
  'an oil painting of a lighthouse at dusk',
  'a bowl of fruit on a wooden kitchen table',
  'a city street at night with neon signs',
  'a diagram of a bicycle with labelled parts',
];

export const captionsOf = (run: number): string[] => CAPTIONS.map((c) => `${c} #${run}`);

/** The side of the pictures: ViT-B/32's input, so both preprocessors only rescale and normalize. */
export const SIDE = 224;
export const PICTURES = 4;

/**
 * Picture `i` of run `run`: RGB bytes, SIDE x SIDE, row-major. Gradients and a disc, different per picture; the
 * run number changes one pixel, so each warm run encodes pictures it has not seen (and runs no faster for it).
 */
export function pictureRgb(i: number, run: number): Uint8Array {
  const px = new Uint8Array(SIDE * SIDE * 3);
  const cx = 60 + 30 * i,
    cy = 160 - 25 * i,
    r2 = (40 + 8 * i) ** 2;
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const o = (y * SIDE + x) * 3;
      const inDisc = (x - cx) ** 2 + (y - cy) ** 2 < r2;
      px[o] = inDisc ? 220 - 40 * i : (x * (i + 1)) & 255;
      px[o + 1] = inDisc ? 30 + 50 * i : (y * 2) & 255;
      px[o + 2] = inDisc ? 40 : ((x + y) * (4 - i)) & 255;
    }
  px[0] = run & 255;
  return px;
}

export function pngDataUrl(rgb: Uint8Array): string {
  const png = encodePng({ width: SIDE, height: SIDE, data: rgb, channels: 3, depth: 8 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

const node = (id: string, type: string, params: object = {}, inputs: object = {}) => ({ id, type, params, inputs });
const graph = (title: string, nodes: unknown[]) => ({
  format: 'unclip-studio/graph',
  version: 1,
  meta: { title },
  nodes,
});

/** A CLIP folder's loader (both sessions open in it), then the captions and the pictures encoded. */
export function clipGraph(folder: string, run: number, pictures: string[]) {
  return graph('bench: CLIP folder', [
    node('clip', 'clip/load-model', { model: 'clip', manifest: folder, dtype: 'fp32' }),
    node('captions', 'text/lines', { text: captionsOf(run).join('\n') }),
    node('text_emb', 'clip/text-encode', {}, { model: 'clip.model', text: 'captions.text' }),
    ...pictures.map((src, i) => node(`pic${i}`, 'io/load-image', { src })),
    node('pictures', 'image/concat', {}, Object.fromEntries(pictures.map((_, i) => ['abcd'[i]!, `pic${i}.image`]))),
    node('image_emb', 'clip/image-encode', {}, { model: 'clip.model', image: 'pictures.image' }),
  ]);
}

/** The nodes the CLIP graph times: the loader (download from the cache, sha256, sessions) and the encoders. */
export const CLIP_LOADER = 'clip';
export const CLIP_RUN_NODES = ['text_emb', 'image_emb'];
