import { defineNode } from '../../src/node-api/define';
import { integer } from '../../src/node-api';
import { growMask } from '../../src/tensor/mask';

export default defineNode({
  type: 'mask/grow',
  version: 1,
  title: 'Grow / feather mask',
  description: 'Dilates the mask by n pixels (negative: erodes), then feathers its edge over f pixels',
  inputs: { mask: 'Mask' },
  outputs: { mask: 'Mask' },
  params: {
    pixels: integer({ min: -32, max: 32, default: 2, label: 'Grow by (px; < 0 shrinks)' }),
    feather: integer({ min: 0, max: 32, default: 0, label: 'Feather (px)' }),
  },
  run: ({ mask }, { pixels, feather }) => ({ mask: growMask(mask, pixels, feather) }),
});
