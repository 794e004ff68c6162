/**
 * CLIP guidance (GLIDE section 3): a noise-aware CLIP image encoder f(x_t, t), trained on noised pictures against
 * the frozen CLIP text encoder g, exported with its gradient: one ONNX model returns f(x_t, t) . g(c) and
 * d/dx_t of it (the backward pass written out in exportable operations: training/models/noised_clip_model.py). The
 * sampler adds that gradient to every step (ddim.ts, `gradient`): eps_hat = eps - s sqrt(1 - abar_t) grad.
 */
import { float32 } from '../../tensor/tensor';
import { ModelError } from '../runtime/manifest';
import type { ModelRuntime, ModelSession } from '../runtime/runtime';
import { timestepInput } from '../samplers/scheduler-config';

/** A noise-aware CLIP as nodes pass it along a Model edge. */
export interface NoisedClipRef {
  id: string;
  kind: 'clip-noised';
  /** The CLIP text encoder whose embedding space it shares (its captions must be encoded by that one). */
  pair: string;
  embedDim: number;
  [key: string]: unknown;
}

export function resolveNoisedClip(runtime: ModelRuntime, id: string): NoisedClipRef {
  const e = runtime.entry(id);
  if (e.kind !== 'clip-noised') throw new ModelError(id, `is a ${e.kind} model, not a noise-aware CLIP (clip-noised)`);
  if (!e.pair) throw new ModelError(id, 'names no "pair": the CLIP text encoder whose space it shares');
  const embedDim = e.embedDim ?? (e.inputs.find((i) => i.name === 'text_embed')?.shape[1] as number);
  return { id, kind: 'clip-noised', pair: e.pair, embedDim };
}

/**
 * The gradient the sampler adds at each step for n samples [n, 3, H, W] and their captions' text embeddings [n, D]
 * (unit, from the paired text encoder); `scores` collects the mean f . g per step (how well x_t reads as the caption).
 */
export function clipGradient(
  session: ModelSession,
  textEmbeds: Float32Array,
  n: number,
  side: number,
  scores?: number[],
): (xT: Float32Array, timestep: number) => Promise<Float32Array> {
  const d = textEmbeds.length / n;
  return async (xT, timestep) => {
    const out = await session.run({
      x_t: float32([n, 3, side, side], xT),
      timestep: timestepInput(session.entry, n, timestep),
      text_embed: float32([n, d], textEmbeds),
    });
    const grad = out.grad?.data as Float32Array | undefined;
    if (!grad || grad.length !== xT.length)
      throw new ModelError(session.entry.id, `returned no gradient of x_t's shape [${n}, 3, ${side}, ${side}]`);
    if (scores) {
      const s = out.score!.data as Float32Array;
      scores.push(s.reduce((a, b) => a + b, 0) / n);
    }
    return grad;
  };
}
