import { defineNode } from '../../src/node-api/define';
import { tokenize } from '../../src/models/pipelines/clip';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';
import { readCaptions } from '../kit/captions';

export default defineNode({
  type: 'text/tokenize',
  version: 1,
  title: 'Tokenize',
  description: "Token ids [N, L] of each text with the model's tokenizer (start, words, end, padding)",
  inputs: { text: 'Text', model: 'Model' },
  outputs: { tokens: 'Tokens' },
  params: {},
  run: async ({ text, model }, _, ctx) => {
    const clip = clipOf(ctx, model);
    return withNode(ctx, 'inputs.text', async () => {
      const runtime = await runtimeFor(ctx, clip);
      return { tokens: await tokenize(runtime, clip, readCaptions(ctx, runtime, clip.text, text, 'inputs.text')) };
    });
  },
});
