import { defineNode } from '../../src/node-api/define';
import { NodeError, enumeration, integer } from '../../src/node-api';
import { RESIZE_METHODS, resizeImage, type ResizeMethod } from '../../src/tensor/image';

export default defineNode({
  type: 'image/resize',
  version: 1,
  title: 'Resize image',
  description:
    'To width x height: area (a whole-factor shrink, e.g. a 256x256 source to the 64x64 the decoders edit), ' +
    'bilinear (any size) or nearest (copies pixels)',
  inputs: { image: 'Image' },
  outputs: { image: 'Image' },
  params: {
    width: integer({ min: 1, max: 4096, default: 64, label: 'Width' }),
    height: integer({ min: 1, max: 4096, default: 64, label: 'Height' }),
    method: enumeration({ options: RESIZE_METHODS, default: 'area', label: 'Method' }),
  },
  run: ({ image }, { width, height, method }, ctx) => {
    try {
      return { image: resizeImage(image, height, width, method as ResizeMethod) };
    } catch (e) {
      throw new NodeError(ctx.nodeId, (e as Error).message, 'params.method');
    }
  },
});
