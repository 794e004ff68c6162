import { defineNode } from '../../src/node-api/define';
import { enumeration, integer } from '../../src/node-api';
import { resizeImage, type ResizeMethod } from '../../src/tensor/image';

export default defineNode({
  type: 'mask/resize',
  // 2: width and height (any shape, as image/resize) instead of one square size
  version: 2,
  migrations: {
    2: ({ params: { size, ...params }, inputs }) => ({
      params: size === undefined ? params : { ...params, width: size, height: size },
      inputs,
      // a subgraph that exposed the size exposes the width (the height keeps the size the file had)
      renamedParams: { size: 'width' },
    }),
  },
  title: 'Resize mask',
  description:
    'A mask at another size, e.g. an edit drawn at 64x64 for the 256x256 stage: bilinear keeps a feathered edge ' +
    'soft (0 stays 0 where all four neighbours are 0), nearest keeps it hard',
  inputs: { mask: 'Mask' },
  outputs: { mask: 'Mask' },
  params: {
    width: integer({ min: 1, max: 4096, default: 256, label: 'Width' }),
    height: integer({ min: 1, max: 4096, default: 256, label: 'Height' }),
    method: enumeration({ options: ['bilinear', 'nearest'], default: 'bilinear', label: 'Method' }),
  },
  run: ({ mask }, { width, height, method }) => ({ mask: resizeImage(mask, height, width, method as ResizeMethod) }),
});
