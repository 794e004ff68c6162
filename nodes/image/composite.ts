import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { compositeImages } from '../../src/tensor/mask';

export default defineNode({
  type: 'image/composite',
  version: 1,
  title: 'Composite through a mask',
  description:
    'The base where the mask is 0, the overlay where it is 1 (blended on a feathered edge): after inpainting, the ' +
    'pixels outside the mask are the source’s, exactly. One size for all three; a one-row base serves every overlay',
  inputs: { base: 'Image', overlay: 'Image', mask: 'Mask' },
  outputs: { image: 'Image' },
  params: {},
  run: ({ base, overlay, mask }, _p, ctx) => {
    try {
      return { image: compositeImages(base, overlay, mask) };
    } catch (e) {
      // compositeImages says which input is off ("the mask is 32x32, the images 64x64"): name that port
      const message = (e as Error).message;
      const port = /^the (base|overlay|mask)/.exec(message)?.[1] ?? 'overlay';
      throw new NodeError(ctx.nodeId, message, `inputs.${port}`);
    }
  },
});
