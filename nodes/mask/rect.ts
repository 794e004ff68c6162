import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer } from '../../src/node-api';
import { rectMask } from '../../src/tensor/mask';

export default defineNode({
  type: 'mask/rect',
  version: 1,
  title: 'Rectangle mask',
  description: 'A rectangle to regenerate (1 inside), in pixels of the picture (64x64 by default)',
  inputs: {},
  outputs: { mask: 'Mask' },
  params: {
    x: integer({ min: 0, max: 4096, default: 16, label: 'x (left)' }),
    y: integer({ min: 0, max: 4096, default: 16, label: 'y (top)' }),
    width: integer({ min: 1, max: 4096, default: 32, label: 'Width' }),
    height: integer({ min: 1, max: 4096, default: 32, label: 'Height' }),
    size: integer({ min: 1, max: 4096, default: 64, label: 'Picture size' }),
  },
  run: (_, { x, y, width, height, size }, ctx) => {
    if (x >= size) throw new NodeError(ctx.nodeId, `x = ${x} is outside the ${size}-pixel picture`, 'params.x');
    if (y >= size) throw new NodeError(ctx.nodeId, `y = ${y} is outside the ${size}-pixel picture`, 'params.y');
    return { mask: rectMask(size, size, x, y, width, height) };
  },
});
