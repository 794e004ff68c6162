import type { RunContext } from '../../src/node-api/define';
import type { ModelRef } from '../../src/node-api/values';
import { NodeError } from '../../src/node-api';
import { clipGradient, type NoisedClipRef } from '../../src/models/pipelines/clip-guidance';
import { article } from '../../src/node-api';
import {
  pickRows,
  textConditioning,
  type DiffusionModelRef,
  type TextConditioning,
} from '../../src/models/pipelines/unclip';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { clipOf, withNode } from './models';
import { runtimeFor } from './runtime';
import { readCaptions } from './captions';

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
  const cond = text
    ? await withNode(ctx, 'inputs.text', () =>
        textConditioning(runtime, clip, readCaptions(ctx, runtime, clip.text, text, 'inputs.text')),
      )
    : empty;
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

/**
 * CLIP guidance's gradient for n samples (diffusion/decode, guidance clip): the noise-aware CLIP connected as
 * `noisedClip`, the captions' text embeddings from the CLIP it shares a space with (checked: the `clip` input).
 */
export async function clipGuidance(
  ctx: RunContext,
  noisedClip: ModelRef | undefined,
  clipModel: ModelRef | undefined,
  text: string[] | undefined,
  textEmbeds: Float32Tensor,
  n: number,
  /** The side of the decoder's square pictures (sampleShape). */
  side: number,
): Promise<(xT: Float32Array, timestep: number) => Promise<Float32Array>> {
  if (!noisedClip)
    throw new NodeError(
      ctx.nodeId,
      'guidance clip needs a noise-aware CLIP: connect diffusion/load-model with mini-clip-noised',
      'inputs.noisedClip',
    );
  if (noisedClip.kind !== 'clip-noised')
    throw new NodeError(
      ctx.nodeId,
      `needs a noise-aware CLIP (clip-noised), got ${article(noisedClip.kind)} ${noisedClip.kind} model ` +
        `("${noisedClip.id}")`,
      'inputs.noisedClip',
    );
  if (!text) throw new NodeError(ctx.nodeId, 'guidance clip guides towards a caption: connect text', 'inputs.text');
  const ref = noisedClip as NoisedClipRef;
  const clip = clipOf(ctx, clipModel!, 'clip');
  if (clip.text !== ref.pair)
    throw new NodeError(
      ctx.nodeId,
      `"${ref.id}" shares the space of "${ref.pair}", but the captions are encoded by "${clip.text}"`,
      'inputs.noisedClip',
    );
  const session = await withNode(ctx, 'inputs.noisedClip', async () => (await runtimeFor(ctx, ref)).session(ref.id));
  const shape = session.entry.inputs.find((i) => i.name === 'x_t')?.shape ?? [];
  if (shape.slice(1).some((v, i) => typeof v === 'number' && v !== [3, side, side][i]))
    throw new NodeError(
      ctx.nodeId,
      `"${ref.id}" reads x_t of shape [${shape.join(', ')}], the decoder samples [batch, 3, ${side}, ${side}]`,
      'inputs.noisedClip',
    );
  if (textEmbeds.shape[1] !== ref.embedDim)
    throw new NodeError(
      ctx.nodeId,
      `"${ref.id}" takes ${ref.embedDim}-dim text embeddings, the captions have ${textEmbeds.shape[1]}`,
      'inputs.noisedClip',
    );
  const at = clipGradient(session, textEmbeds.data, n, side);
  // a failure of the guiding model while sampling names its port
  return (x, t) => withNode(ctx, 'inputs.noisedClip', () => at(x, t));
}

/**
 * The `clip` input of the nodes that decode from a caption (Decode, Inpaint): optional, required once `text` is
 * wired, listing CLIP models.
 */
export const captionClipInput = {
  type: 'Model',
  optional: true,
  description: 'the CLIP model (encodes the caption)',
  models: ['clip'],
  requiredWhen: { wired: ['text'], reason: 'the CLIP model encodes the caption' },
} as const;
