import { defineNode } from '../../src/node-api/define';
import { invertMask } from '../../src/tensor/mask';

export default defineNode({
  type: 'mask/invert',
  version: 1,
  title: 'Invert mask',
  description: 'Keeps what was regenerated and regenerates what was kept (1 - mask)',
  inputs: { mask: 'Mask' },
  outputs: { mask: 'Mask' },
  params: {},
  run: ({ mask }) => ({ mask: invertMask(mask) }),
});
