import type { RunContext } from '../../src/engine/define';
import type { ModelRef } from '../../src/engine/values';
import { NodeError } from '../../src/graph/errors';
import { pickRows, textConditioning, type DiffusionModelRef, type TextConditioning } from '../../src/models/unclip';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';

/**
 * The decoder's inputs for n samples: image embeddings (zeros for the
 * GLIDE-style text-only path) and caption features (the empty caption when no
 * text is given), plus the empty caption for the unconditional half.
 */
export async function decoderConditioning(
  ctx: RunContext,
  ref: DiffusionModelRef,
  clipModel: ModelRef | undefined,
  embedding: Float32Tensor | undefined,
  text: string[] | undefined,
  n: number,
): Promise<{ embeds: Float32Tensor; text: TextConditioning; empty: TextConditioning }> {
  if (!clipModel)
    throw new NodeError(
      ctx.nodeId,
      `connect the CLIP model the decoder was trained with ("${ref.spec.clip ?? 'mini-clip'}"): it encodes the caption`,
      'inputs.clip',
    );
  const clip = clipOf(ctx, clipModel, 'clip');
  const runtime = await runtimeFor(ctx, clip);
  const d = clip.embedDim;
  if (embedding && embedding.shape[1] !== d)
    throw new NodeError(
      ctx.nodeId,
      `the embedding has ${embedding.shape[1]} dims, the decoder takes ${d}`,
      'inputs.embedding',
    );
  const rows = (t: { shape: readonly number[] } | string[] | undefined) =>
    Array.isArray(t) ? t.length : (t?.shape[0] ?? 1);
  const per = (count: number, port: string) => {
    if (count !== 1 && count !== n) throw new NodeError(ctx.nodeId, `${count} rows for ${n} samples`, `inputs.${port}`);
  };
  per(rows(embedding), 'embedding');
  per(rows(text), 'text');
  const empty = await withNode(ctx, 'inputs.clip', () => textConditioning(runtime, clip, ['']));
  const cond = text ? await withNode(ctx, 'inputs.text', () => textConditioning(runtime, clip, text)) : empty;
  const embeds = embedding ? pickRows(embedding, n) : float32([n, d]);
  return {
    embeds,
    text: {
      embeds: pickRows(cond.embeds, n),
      tokens: pickRows(cond.tokens, n),
      mask: pickRows(cond.mask, n),
      ids: pickRows(cond.ids, n),
    },
    empty,
  };
}
