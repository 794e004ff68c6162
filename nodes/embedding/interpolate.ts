import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer } from '../../src/node-api';
import { float32 } from '../../src/tensor/tensor';
import { slerp } from '../../src/tensor/vector';

export default defineNode({
  type: 'embedding/interpolate',
  version: 1,
  title: 'Interpolate (frames)',
  description: 'N frames slerped from a to b (t = 0 .. 1), one embedding per frame: [N, D]',
  inputs: { a: 'Embedding', b: 'Embedding' },
  outputs: { frames: 'Embedding' },
  params: { frames: integer({ min: 2, max: 64, default: 5, label: 'Frames' }) },
  run: ({ a, b }, { frames }, ctx) => {
    const d = a.shape[1]!;
    if (b.shape[1] !== d) throw new NodeError(ctx.nodeId, `a is ${d}-dimensional, b is ${b.shape[1]}`, 'inputs.b');
    const x = float32([1, d], a.data.subarray(0, d)),
      y = float32([1, d], b.data.subarray(0, d));
    const out = new Float32Array(frames * d);
    for (let i = 0; i < frames; i++) out.set(slerp(x, y, i / (frames - 1)).data, i * d);
    return { frames: float32([frames, d], out) };
  },
});
