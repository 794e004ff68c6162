import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { string } from '../../src/node-api';
import { encodeImages, encodeTexts, softmaxRows } from '../../src/models/pipelines/clip';
import { cosineMatrix } from '../../src/tensor/vector';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';
import { readCaptions } from '../kit/captions';

export default defineNode({
  type: 'rank/zero-shot-classify',
  version: 1,
  title: 'Zero-shot classify',
  description:
    "CLIP zero-shot classification: one caption per label from a template, softmax of the model's scaled similarities",
  inputs: { model: 'Model', image: 'Image', labels: 'Text' },
  outputs: { probabilities: 'Scores', top: 'Text' },
  params: { template: string({ default: 'a {}', label: 'Prompt template ({} = label)', maxLength: 500 }) },
  run: async ({ model, image, labels }, { template }, ctx) => {
    const clip = clipOf(ctx, model);
    if (!template.includes('{}'))
      throw new NodeError(ctx.nodeId, 'must contain {} where the label goes', 'params.template');
    if (new Set(labels).size !== labels.length)
      throw new NodeError(ctx.nodeId, 'labels must be distinct', 'inputs.labels');
    const runtime = await runtimeFor(ctx, clip);
    const prompts = readCaptions(
      ctx,
      runtime,
      clip.text,
      labels.map((l) => template.replaceAll('{}', l)),
      'inputs.labels',
    );
    const text = await withNode(ctx, 'inputs.labels', () => encodeTexts(runtime, clip, prompts));
    const img = await withNode(ctx, 'inputs.image', () => encodeImages(runtime, clip, image));
    const probs = softmaxRows(cosineMatrix(img, text), clip.logitScale);
    const n = img.shape[0]!,
      m = labels.length;
    const top = Array.from({ length: n }, (_, r) => {
      let best = 0;
      for (let j = 1; j < m; j++) if (probs.data[r * m + j]! > probs.data[r * m + best]!) best = j;
      return labels[best]!;
    });
    const values = n === 1 ? { ...probs, shape: [m] } : probs;
    return {
      probabilities: {
        values,
        labels,
        ...(n > 1 ? { rowLabels: Array.from({ length: n }, (_, i) => `image ${i}`) } : {}),
      },
      top,
    };
  },
});
