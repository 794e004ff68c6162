import { defineNode } from '../../src/engine/define';
import { NodeError } from '../../src/graph/errors';
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
    const [, bh, bw] = base.shape as number[];
    const [, oh, ow] = overlay.shape as number[];
    const [, mh, mw] = mask.shape as number[];
    if (oh !== bh || ow !== bw)
      throw new NodeError(ctx.nodeId, `the overlay is ${ow}x${oh}, the base ${bw}x${bh}`, 'inputs.overlay');
    if (mh !== bh || mw !== bw)
      throw new NodeError(ctx.nodeId, `the mask is ${mw}x${mh}, the base ${bw}x${bh}`, 'inputs.mask');
    try {
      return { image: compositeImages(base, overlay, mask) };
    } catch (e) {
      // sizes are checked above: what is left is a row count, named by the port it is about
      const message = (e as Error).message;
      const port = /^the (base|overlay|mask)/.exec(message)?.[1] ?? 'overlay';
      throw new NodeError(ctx.nodeId, message, `inputs.${port}`);
    }
  },
});
