import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { float32 } from '../../src/tensor/tensor';
import { CaptionError, parseCaption } from '../../src/world/caption';
import { canonicalCaptions } from '../kit/captions';
import { gradePicture, readPicture, type ReadScene } from '../../src/world/read';

export function describeReading(r: ReadScene): string {
  if (r.objects.length === 0) return `nothing on a ${r.background} background`;
  const obj = (o: ReadScene['objects'][number]) =>
    `a ${o.size} ${o.colour} ${o.shape} at the ${o.position} (fit ${o.fit.toFixed(2)})`;
  return `${r.objects.map(obj).join(' and ')} on a ${r.background} background`;
}

const CHECKS = ['objects counted', 'colour-shape pairs', 'relation (-1: none asked)', 'every attribute'] as const;

export default defineNode({
  type: 'world/read-picture',
  version: 1,
  title: 'Read picture (pixel reader)',
  description:
    "The pixel-level reader of ShapesWorld pictures, a judge independent of CLIP: background, and each object's " +
    'colour, shape, size and cell, read from pixels; graded against a caption when one is wired',
  inputs: {
    image: 'Image',
    text: { type: 'Text', optional: true, description: 'the caption to grade against (one, or one per image)' },
  },
  outputs: { reading: 'Text', grade: 'Scores' },
  params: {},
  run: ({ image, text }, _, ctx) => {
    const [n = 0, h = 0, w = 0, c = 0] = image.shape;
    if (c !== 3) throw new NodeError(ctx.nodeId, `reads RGB pictures, got ${c} channels`, 'inputs.image');
    if (h < 16 || w < 16)
      throw new NodeError(ctx.nodeId, `pictures of ${w}x${h} are too small to read (16x16 at least)`, 'inputs.image');
    if (text && text.length !== 1 && text.length !== n)
      throw new NodeError(
        ctx.nodeId,
        `${text.length} captions for ${n} pictures (give one, or one per picture)`,
        'inputs.text',
      );
    const px = h * w * 3;
    const readings = Array.from({ length: n }, (_, i) => readPicture(image.data.subarray(i * px, (i + 1) * px), w, h));
    let grade = { values: float32([0]), labels: [] as string[] } as {
      values: ReturnType<typeof float32>;
      labels: string[];
      rowLabels?: string[];
    };
    if (text) {
      const captions = canonicalCaptions(ctx, text, 'inputs.text');
      const values = new Float32Array(n * CHECKS.length);
      readings.forEach((r, i) => {
        const caption = captions[captions.length === 1 ? 0 : i]!;
        let truth;
        try {
          truth = parseCaption(caption);
        } catch (e) {
          if (e instanceof CaptionError) throw new NodeError(ctx.nodeId, e.message, 'inputs.text');
          throw e;
        }
        const g = gradePicture(r, truth);
        values.set(
          [Number(g.count), Number(g.pairs), g.relation === undefined ? Number.NaN : Number(g.relation), Number(g.all)],
          i * CHECKS.length,
        );
      });
      // a relation that does not apply is left out of the picture's row rather than scored
      for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) values[i] = -1;
      grade = {
        values: float32([n, CHECKS.length], values),
        labels: [...CHECKS],
        rowLabels: Array.from({ length: n }, (_, i) => `image ${i}`),
      };
    }
    return { reading: readings.map(describeReading), grade };
  },
});
