import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { concatImages } from '../../src/tensor/image';

export default defineNode({
  type: 'image/concat',
  version: 1,
  title: 'Stack images',
  description: 'Stacks up to four image batches of the same size into one batch',
  inputs: {
    a: 'Image',
    b: { type: 'Image', optional: true },
    c: { type: 'Image', optional: true },
    d: { type: 'Image', optional: true },
  },
  outputs: { image: 'Image' },
  params: {},
  run: (inputs, _, ctx) => {
    const parts = [inputs.a, inputs.b, inputs.c, inputs.d].filter((x): x is NonNullable<typeof x> => !!x);
    try {
      return { image: concatImages(parts) };
    } catch (e) {
      throw new NodeError(ctx.nodeId, (e as Error).message, 'inputs.b');
    }
  },
});
