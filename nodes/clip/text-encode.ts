import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { encodeTokens, tokenize } from '../../src/models/pipelines/clip';
import type { Tensor } from '../../src/tensor/tensor';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';
import { readCaptions } from '../kit/captions';

export default defineNode({
  type: 'clip/text-encode',
  version: 1,
  title: 'CLIP text encode',
  description: 'Texts (or their tokens) -> L2-normalized CLIP text embeddings [N, D]',
  inputs: {
    model: 'Model',
    text: { type: 'Text', optional: true },
    tokens: { type: 'Tokens', optional: true, description: 'used instead of text when connected' },
  },
  outputs: { embedding: 'TextEmbedding' },
  params: {},
  run: async ({ model, text, tokens }, _, ctx) => {
    const clip = clipOf(ctx, model);
    if (!text && !tokens) throw new NodeError(ctx.nodeId, 'connect either "text" or "tokens"', 'inputs.text');
    return withNode(ctx, tokens ? 'inputs.tokens' : 'inputs.text', async () => {
      const runtime = await runtimeFor(ctx, clip);
      const ids = tokens
        ? (tokens as Tensor<'int64'>)
        : await tokenize(runtime, clip, readCaptions(ctx, runtime, clip.text, text!, 'inputs.text'));
      return { embedding: (await encodeTokens(runtime, clip, ids)).embeds };
    });
  },
});
