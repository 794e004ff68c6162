import { defineNode } from '../../src/node-api/define';
import { enumeration, integer, number, seed } from '../../src/node-api';
import {
  decodeGenome,
  genomeLength,
  rasterize,
  PRIMITIVE_KINDS,
  type Drawing,
  type PrimitiveKind,
} from '../../src/models/pipelines/guide/raster';
import { clipSearch } from '../../src/models/pipelines/guide/search';
import { noiseRng } from '../../src/tensor/noise';
import { COLOUR_RGB, BACKGROUND_RGB } from '../../src/world/spec';
import { captionScorer, generationReporter, searchOutputs } from './shared';

const SIZE = 64;
const KINDS: Record<string, readonly PrimitiveKind[]> = {
  'shapes and strokes': PRIMITIVE_KINDS,
  shapes: ['circle', 'square', 'triangle', 'cross'],
  strokes: ['stroke'],
};

/** The nearest ShapesWorld colour name of an rgb in [0, 1] (for reading a drawing's primitives). */
function nearestName(rgb: readonly number[], table: Record<string, readonly [number, number, number]>): string {
  let best = '',
    dist = Infinity;
  for (const [name, c] of Object.entries(table)) {
    const d = (rgb[0]! * 255 - c[0]) ** 2 + (rgb[1]! * 255 - c[1]) ** 2 + (rgb[2]! * 255 - c[2]) ** 2;
    if (d < dist) {
      dist = d;
      best = name;
    }
  }
  return best;
}

export function describeDrawing(d: Drawing): string[] {
  const hex = (rgb: readonly number[]) =>
    `#${rgb
      .map((v) =>
        Math.round(v * 255)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
  const lines = [`background ${hex(d.background)} (~${nearestName(d.background, BACKGROUND_RGB)})`];
  for (const p of d.primitives) {
    if (p.opacity <= 0) continue;
    const colour = `${hex(p.rgb)} (~${nearestName(p.rgb, COLOUR_RGB)})`;
    const alpha = p.opacity < 1 ? `, opacity ${p.opacity.toFixed(2)}` : '';
    if (p.kind === 'stroke')
      lines.push(
        `stroke ${colour} from (${p.points[0].toFixed(1)}, ${p.points[1].toFixed(1)}) via ` +
          `(${p.points[2].toFixed(1)}, ${p.points[3].toFixed(1)}) to (${p.points[4].toFixed(1)}, ` +
          `${p.points[5].toFixed(1)}), width ${p.width.toFixed(1)}${alpha}`,
      );
    else
      lines.push(
        `${p.kind} ${colour} at (${p.cx.toFixed(1)}, ${p.cy.toFixed(1)}), half-extent ${p.s.toFixed(1)}${alpha}`,
      );
  }
  return lines;
}

export default defineNode({
  type: 'guide/clip-draw',
  version: 1,
  title: 'CLIP draw (search)',
  description:
    'CLIPDraw without gradients: a picture of N primitives (shapes, Bezier strokes) searched by CMA-ES to raise ' +
    "mini-CLIP's similarity to a caption, averaged over random views (shift, scale, colour jitter)",
  inputs: {
    model: 'Model',
    text: { type: 'Text', description: 'one caption' },
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
  },
  outputs: { image: 'Image', filmstrip: 'Image', curve: 'Scores', similarity: 'Number', primitives: 'Text' },
  params: {
    primitives: integer({ min: 1, max: 12, default: 3, label: 'Primitives' }),
    kinds: enumeration({
      options: ['shapes and strokes', 'shapes', 'strokes'],
      default: 'shapes and strokes',
      label: 'Primitive kinds',
    }),
    iterations: integer({ min: 1, max: 2000, default: 60, label: 'Generations' }),
    population: integer({ min: 4, max: 256, default: 16, label: 'Population' }),
    augmentations: integer({ min: 0, max: 32, default: 2, label: 'Random views (0 = none)' }),
    sigma: number({ min: 0.01, max: 1, step: 0.01, default: 0.15, label: 'Initial step size' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ model, text, seed: seedIn }, p, ctx) => {
    const score = await captionScorer(ctx, model, text);
    const s = seedIn ?? p.seed;
    const opts = { size: SIZE, kinds: KINDS[p.kinds]! };
    const init = noiseRng({ seed: s, node: ctx.nodeType, purpose: 'start' });
    const mean = Array.from({ length: genomeLength(p.primitives) }, () => init.uniform(0.15, 0.85));
    const result = await clipSearch({
      mean,
      sigma: p.sigma,
      generations: p.iterations,
      population: p.population,
      augmentations: p.augmentations,
      seed: s,
      node: ctx.nodeType,
      size: SIZE,
      frames: 8,
      render: (genomes) => {
        const px = SIZE * SIZE * 3;
        const out = new Float32Array(genomes.length * px);
        genomes.forEach((g, i) => rasterize(decodeGenome(g, opts), out.subarray(i * px, (i + 1) * px)));
        return out;
      },
      score,
      signal: ctx.signal,
      onGeneration: generationReporter(ctx, SIZE),
    });
    return { ...searchOutputs(result, SIZE), primitives: describeDrawing(decodeGenome(result.bestGenome, opts)) };
  },
});
