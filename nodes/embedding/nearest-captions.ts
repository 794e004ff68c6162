import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { enumeration, integer, string } from '../../src/node-api';
import { encodeTexts, type ClipModelRef } from '../../src/models/pipelines/clip';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { cosineMatrix } from '../../src/tensor/vector';
import { captionBank } from '../../src/world/bank';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';

const bankCache = new Map<string, Promise<Float32Tensor>>();

function bankEmbeddings(runtime: ModelRuntime, clip: ClipModelRef, captions: string[]): Promise<Float32Tensor> {
  const key = `${clip.text}|${String(clip.manifest ?? '')}|${captions.length}|${captions.join('\n')}`;
  let p = bankCache.get(key);
  if (!p) {
    if (bankCache.size > 8) bankCache.clear();
    p = encodeTexts(runtime, clip, captions);
    bankCache.set(key, p);
    p.catch(() => bankCache.delete(key));
  }
  return p;
}

export default defineNode({
  type: 'embedding/nearest-captions',
  version: 1,
  title: 'Nearest captions',
  description: 'The captions whose CLIP text embeddings are closest to an embedding: reads what an embedding "means"',
  inputs: { model: 'Model', embedding: 'Embedding' },
  outputs: { captions: 'Scores', best: 'Text' },
  params: {
    bank: enumeration({ options: ['shapesworld', 'custom'] as const, default: 'shapesworld', label: 'Caption bank' }),
    custom: string({ default: '', multiline: true, maxLength: 200_000, label: 'Custom captions (one per line)' }),
    k: integer({ min: 1, max: 100, default: 5, label: 'k' }),
  },
  run: async ({ model, embedding }, { bank, custom, k }, ctx) => {
    const clip = clipOf(ctx, model);
    const captions =
      bank === 'shapesworld'
        ? captionBank()
        : custom
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean);
    if (captions.length === 0) throw new NodeError(ctx.nodeId, 'the custom caption bank is empty', 'params.custom');
    if (embedding.shape[1] !== clip.embedDim)
      throw new NodeError(
        ctx.nodeId,
        `the embedding has ${embedding.shape[1]} dims, the model ${clip.embedDim}`,
        'inputs.embedding',
      );
    const runtime = await runtimeFor(ctx, clip);
    const bankEmb = await withNode(ctx, bank === 'custom' ? 'params.custom' : undefined, () =>
      bankEmbeddings(runtime, clip, captions),
    );
    const sims = cosineMatrix(
      embedding.shape[0] === 1
        ? embedding
        : float32([1, embedding.shape[1]!], embedding.data.subarray(0, embedding.shape[1]!)),
      bankEmb,
    );
    const order = Array.from({ length: captions.length }, (_, i) => i)
      .sort((a, b) => sims.data[b]! - sims.data[a]!)
      .slice(0, k);
    return {
      captions: {
        values: float32(
          [order.length],
          order.map((i) => sims.data[i]!),
        ),
        labels: order.map((i) => captions[i]!),
      },
      best: [captions[order[0]!]!],
    };
  },
});
