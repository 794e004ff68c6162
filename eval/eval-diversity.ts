/** Diversity of a prompt's samples: mean pairwise distances, in pixels and in mini-CLIP embeddings. */
import { encodeImages, type ClipModelRef } from '../src/models/pipelines/clip';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import type { Float32Tensor } from '../src/tensor/tensor';

/**
 * Mean over `prompts` groups of `per` consecutive items of the mean pairwise distance within a group
 * (dist(i, j) of items i and j): how different one prompt's samples are from each other.
 */
export function meanPairwise(prompts: number, per: number, dist: (i: number, j: number) => number): number {
  let total = 0;
  for (let p = 0; p < prompts; p++) {
    let sum = 0,
      pairs = 0;
    for (let i = 0; i < per; i++)
      for (let j = i + 1; j < per; j++) {
        sum += dist(p * per + i, p * per + j);
        pairs++;
      }
    total += sum / Math.max(1, pairs);
  }
  return total / Math.max(1, prompts);
}

/**
 * Diversity of `prompts` groups of `per` consecutive pictures [N, 64, 64, 3] (one prompt's samples each): the mean
 * pairwise distance within a group in pixels (RMS, [0, 1] scale) and in mini-CLIP image embeddings (1 - cosine).
 */
export async function diversityOf(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  pictures: Float32Tensor,
  prompts: number,
  per: number,
): Promise<{ pixels: number; clip: number }> {
  const px = pictures.data,
    size = 64 * 64 * 3;
  const emb = (await encodeImages(runtime, clip, pictures)).data,
    dim = clip.embedDim;
  return {
    pixels: meanPairwise(prompts, per, (i, j) => {
      let s = 0;
      for (let k = 0; k < size; k++) s += (px[i * size + k]! - px[j * size + k]!) ** 2;
      return Math.sqrt(s / size);
    }),
    clip: meanPairwise(prompts, per, (i, j) => {
      let s = 0;
      for (let k = 0; k < dim; k++) s += emb[i * dim + k]! * emb[j * dim + k]!;
      return 1 - s;
    }),
  };
}
