import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { decodeMaskRle, MASK_MAX_SIDE, MASK_RLE_MAX_LENGTH } from '../../src/node-api';
import { integer, string } from '../../src/node-api';
import { float32 } from '../../src/tensor/tensor';

export default defineNode({
  type: 'mask/paint',
  version: 1,
  title: 'Painted mask',
  description:
    'A mask painted by hand: select the node and paint over its picture in the inspector (brush, eraser, undo). ' +
    'Stored in the graph as run-length text',
  inputs: { image: { type: 'Image', optional: true, description: 'the picture to paint over (sets the size)' } },
  outputs: { mask: 'Mask' },
  params: {
    size: integer({ min: 1, max: MASK_MAX_SIDE, default: 64, label: 'Size (no picture, nothing painted)' }),
    mask: string({ default: '', maxLength: MASK_RLE_MAX_LENGTH, painted: true, label: 'Painted' }),
  },
  run: ({ image }, { size, mask }, ctx) => {
    const [, ih, iw] = (image?.shape ?? []) as number[];
    if (!mask) {
      const [h, w] = image ? [ih!, iw!] : [size, size];
      return { mask: float32([1, h, w, 1]) };
    }
    let m: ReturnType<typeof decodeMaskRle>;
    try {
      m = decodeMaskRle(mask);
    } catch (e) {
      throw new NodeError(ctx.nodeId, `the painted mask ${(e as Error).message}`, 'params.mask');
    }
    if (image && (m.w !== iw || m.h !== ih))
      throw new NodeError(
        ctx.nodeId,
        `the mask was painted at ${m.w}x${m.h}, the picture is ${iw}x${ih}: clear it and paint again`,
        'params.mask',
      );
    return { mask: float32([1, m.h, m.w, 1], Float32Array.from(m.bits)) };
  },
});
