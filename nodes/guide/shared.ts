import type { RunContext } from '../../src/node-api/define';
import type { ModelRef, Scores } from '../../src/node-api/values';
import { NodeError } from '../../src/node-api';
import { encodeImages, encodeTexts } from '../../src/models/pipelines/clip';
import type { GenerationInfo, SearchResult } from '../../src/models/pipelines/guide/search';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { cosineMatrix } from '../../src/tensor/vector';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';
import { readCaptions } from '../kit/captions';

/** The caption's CLIP embedding and a scorer: cosine similarity of pictures to it. */
export async function captionScorer(ctx: RunContext, model: ModelRef, text: string[], port = 'text') {
  const clip = clipOf(ctx, model);
  if (text.length !== 1) throw new NodeError(ctx.nodeId, `takes one caption, got ${text.length}`, `inputs.${port}`);
  if (!text[0]!.trim()) throw new NodeError(ctx.nodeId, 'the caption is empty', `inputs.${port}`);
  const runtime = await runtimeFor(ctx, clip);
  const target = await withNode(ctx, `inputs.${port}`, () =>
    encodeTexts(runtime, clip, readCaptions(ctx, runtime, clip.text, text, `inputs.${port}`)),
  );
  // the [N, 1] cosine of each picture's embedding with the caption's (src/tensor/vector's cosineMatrix)
  return async (images: Float32Tensor): Promise<Float32Array> =>
    cosineMatrix(await withNode(ctx, 'inputs.model', () => encodeImages(runtime, clip, images)), target).data;
}

/** Progress per generation, with the best picture so far as the preview. */
export function generationReporter(ctx: RunContext, size: number) {
  return (g: GenerationInfo) => {
    ctx.throwIfAborted();
    ctx.progress(g.generation / g.generations, {
      step: g.generation,
      steps: g.generations,
      preview:
        g.improved || g.generation === g.generations ? float32([1, size, size, 3], g.bestImage.slice()) : undefined,
    });
  };
}

/** The search's outputs every guide node shares: the picture, the filmstrip, the similarity curve. */
export function searchOutputs(
  r: SearchResult,
  size: number,
): { image: Float32Tensor; filmstrip: Float32Tensor; curve: Scores; similarity: number } {
  const px = size * size * 3;
  const film = new Float32Array(r.frames.length * px);
  r.frames.forEach((f, i) => film.set(f, i * px));
  const g = r.bestCurve.length;
  const values = new Float32Array(2 * g);
  values.set(r.bestCurve, 0);
  values.set(r.meanCurve, g);
  return {
    image: float32([1, size, size, 3], r.bestImage),
    filmstrip: float32([r.frames.length, size, size, 3], film),
    curve: {
      values: float32([2, g], values),
      labels: Array.from({ length: g }, (_, i) => `generation ${i + 1}`),
      rowLabels: ['best so far', 'population mean'],
      curve: true,
    },
    similarity: r.cleanScore,
  };
}
