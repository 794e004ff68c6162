import { defineNode } from '../../src/node-api/define';
import { enumeration, integer } from '../../src/node-api';
import { resizeImage, type ResizeMethod } from '../../src/tensor/image';

export default defineNode({
  type: 'mask/resize',
  version: 1,
  title: 'Resize mask',
  description:
    'A mask at another size, e.g. an edit drawn at 64x64 for the 256x256 stage: bilinear keeps a feathered edge ' +
    'soft (0 stays 0 where all four neighbours are 0), nearest keeps it hard',
  inputs: { mask: 'Mask' },
  outputs: { mask: 'Mask' },
  params: {
    size: integer({ min: 1, max: 4096, default: 256, label: 'Size' }),
    method: enumeration({ options: ['bilinear', 'nearest'], default: 'bilinear', label: 'Method' }),
  },
  run: ({ mask }, { size, method }) => ({ mask: resizeImage(mask, size, size, method as ResizeMethod) }),
});
