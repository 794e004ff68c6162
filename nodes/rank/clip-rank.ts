import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer } from '../../src/node-api';
import { encodeImages, encodeTexts } from '../../src/models/pipelines/clip';
import { float32 } from '../../src/tensor/tensor';
import { cosineMatrix } from '../../src/tensor/vector';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';
import { readCaptions } from '../kit/captions';

export default defineNode({
  type: 'rank/clip-rank',
  version: 1,
  title: 'CLIP rank',
  description:
    'Ranks candidate images (or texts) by CLIP similarity to a query text (or image): the DALL·E reranking step',
  inputs: {
    model: 'Model',
    queryText: { type: 'Text', optional: true },
    queryImage: { type: 'Image', optional: true },
    candidateImages: { type: 'Image', optional: true },
    candidateTexts: { type: 'Text', optional: true },
  },
  outputs: { scores: 'Scores', order: 'Text', top: 'Image' },
  params: { k: integer({ min: 1, max: 1024, default: 1, label: 'Keep top k' }) },
  run: async ({ model, queryText, queryImage, candidateImages, candidateTexts }, { k }, ctx) => {
    const clip = clipOf(ctx, model);
    if (!queryText === !queryImage)
      throw new NodeError(ctx.nodeId, 'connect exactly one query: "queryText" or "queryImage"', 'inputs.queryText');
    if (!candidateImages === !candidateTexts)
      throw new NodeError(
        ctx.nodeId,
        'connect exactly one kind of candidates: "candidateImages" or "candidateTexts"',
        'inputs.candidateImages',
      );
    if (queryText && queryText.length !== 1)
      throw new NodeError(ctx.nodeId, `the query must be one text, got ${queryText.length}`, 'inputs.queryText');
    if (queryImage && queryImage.shape[0] !== 1)
      throw new NodeError(ctx.nodeId, `the query must be one image, got ${queryImage.shape[0]}`, 'inputs.queryImage');
    const runtime = await runtimeFor(ctx, clip);
    const q = await withNode(ctx, queryText ? 'inputs.queryText' : 'inputs.queryImage', () =>
      queryText
        ? encodeTexts(runtime, clip, readCaptions(ctx, runtime, clip.text, queryText, 'inputs.queryText'))
        : encodeImages(runtime, clip, queryImage!),
    );
    const c = await withNode(ctx, candidateTexts ? 'inputs.candidateTexts' : 'inputs.candidateImages', () =>
      candidateTexts
        ? encodeTexts(runtime, clip, readCaptions(ctx, runtime, clip.text, candidateTexts, 'inputs.candidateTexts'))
        : encodeImages(runtime, clip, candidateImages!),
    );
    const sims = cosineMatrix(q, c);
    const n = c.shape[0]!;
    const labels = candidateTexts ?? Array.from({ length: n }, (_, i) => `image ${i}`);
    const order = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => sims.data[b]! - sims.data[a]!)
      .slice(0, Math.min(k, n));
    let top = float32([0, 1, 1, 3]); // text candidates: no images to keep
    if (candidateImages) {
      const [, h, w, ch] = candidateImages.shape as [number, number, number, number];
      const px = h * w * ch;
      const data = new Float32Array(order.length * px);
      order.forEach((idx, i) => data.set(candidateImages.data.subarray(idx * px, (idx + 1) * px), i * px));
      top = float32([order.length, h, w, ch], data);
    }
    return { scores: { values: float32([n], sims.data), labels }, order: order.map((i) => labels[i]!), top };
  },
});
