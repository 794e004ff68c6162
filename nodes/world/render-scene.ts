import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer, seed, string } from '../../src/node-api';
import { noiseRng } from '../../src/tensor/noise';
import { float32 } from '../../src/tensor/tensor';
import { CaptionError, parseCaption } from '../../src/world/caption';
import { canonicalCaptions } from '../kit/captions';
import { renderScene } from '../../src/world/render';
import { sampleScene, type Scene } from '../../src/world/scene';
import { CANVAS } from '../../src/world/spec';

function describeScene(s: Scene): string {
  const obj = (o: Scene['objects'][0]) => `a ${o.size} ${o.colour} ${o.shape} at the ${o.position}`;
  return `${s.objects.map(obj).join(' and ')} on a ${s.background} background`;
}

export default defineNode({
  type: 'world/render-scene',
  version: 1,
  title: 'Render ShapesWorld scene',
  description:
    'ShapesWorld pictures (64x64) that satisfy a caption; what the caption leaves open is drawn from the seed',
  inputs: { seed: { type: 'Number', optional: true, description: 'overrides the seed param' } },
  outputs: { image: 'Image', scene: 'Text' },
  params: {
    caption: string({ default: 'a large red circle on a white background', label: 'Caption', maxLength: 500 }),
    seed: seed({ default: 0, label: 'Seed' }),
    count: integer({ min: 1, max: 64, default: 1, label: 'Count' }),
  },
  run: ({ seed: seedIn }, { caption, seed: s, count }, ctx) => {
    let constraints;
    try {
      constraints = parseCaption(canonicalCaptions(ctx, [caption], 'params.caption')[0]!);
    } catch (e) {
      if (e instanceof CaptionError) throw new NodeError(ctx.nodeId, e.message, 'params.caption');
      throw e;
    }
    const px = CANVAS * CANVAS * 3;
    const data = new Float32Array(count * px);
    const bytes = new Uint8Array(px);
    const scenes: string[] = [];
    for (let i = 0; i < count; i++) {
      const scene = sampleScene(
        noiseRng({ seed: seedIn ?? s, node: ctx.nodeType, purpose: 'scene', index: [i] }),
        constraints,
      );
      renderScene(scene, bytes);
      for (let k = 0; k < px; k++) data[i * px + k] = bytes[k]! / 255;
      scenes.push(describeScene(scene));
    }
    return { image: float32([count, CANVAS, CANVAS, 3], data), scene: scenes };
  },
});
