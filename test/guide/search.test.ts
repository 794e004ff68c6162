import { describe, expect, it } from 'vitest';
import { augment, IDENTITY } from '../../src/models/pipelines/guide/augment';
import { CmaEs } from '../../src/models/pipelines/guide/cmaes';
import { decodeGenome, fold01, genomeLength, rasterize, type Drawing } from '../../src/models/pipelines/guide/raster';
import { clipSearch } from '../../src/models/pipelines/guide/search';
import { createRng } from '../../src/tensor/prng';
import { COLOUR_RGB, SHAPES } from '../../src/world/spec';
import { readPicture } from '../../src/world/read';
import { renderScene } from '../../src/world/render';

function minimize(f: (x: Float64Array) => number, dim: number, seed: number, generations: number): number {
  const cma = new CmaEs({ mean: new Float64Array(dim).fill(3), sigma: 1, rng: createRng(seed) });
  let best = Infinity;
  for (let g = 0; g < generations; g++) {
    const xs = cma.ask();
    const fx = xs.map(f);
    best = Math.min(best, ...fx);
    cma.tell(fx);
  }
  return best;
}

describe('CMA-ES', () => {
  it('minimizes a sphere and an ill-conditioned rotated ellipsoid in 10 dimensions', () => {
    const sphere = (x: Float64Array) => x.reduce((a, v) => a + v * v, 0);
    expect(minimize(sphere, 10, 1, 200)).toBeLessThan(1e-8);
    // condition number 1e4, axes rotated: only a strategy that learns the covariance gets there in this budget
    const rot = (x: Float64Array) => Float64Array.from(x, (_, i) => (x[i]! + x[(i + 1) % x.length]!) / Math.SQRT2);
    const ellipsoid = (x: Float64Array) => rot(x).reduce((a, v, i) => a + 1e4 ** (i / 9) * v * v, 0);
    expect(minimize(ellipsoid, 10, 2, 400)).toBeLessThan(1e-6);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const run = (seed: number) => {
      const cma = new CmaEs({ mean: [0.5, 0.5, 0.5], sigma: 0.3, rng: createRng(seed) });
      const xs = cma.ask();
      cma.tell(xs.map((x) => x[0]!));
      return Array.from(cma.ask()[0]!);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('refuses a fitness list of the wrong length and ranks NaN last', () => {
    const cma = new CmaEs({ mean: [0, 0], sigma: 1, population: 4, rng: createRng(1) });
    cma.ask();
    expect(() => cma.tell([1, 2])).toThrow(/4 fitness values/);
    const xs = cma.ask();
    cma.tell([Number.NaN, 1, 2, 3]);
    // the mean moved toward the finite candidates, not the NaN one
    expect(Number.isFinite(cma.mean[0]!)).toBe(true);
    expect(xs).toHaveLength(4);
  });
});

describe('the rasterizer', () => {
  it('draws ShapesWorld shapes the pixel reader reads as the same shapes and colours the renderer draws', () => {
    for (const shape of SHAPES) {
      const rgb = COLOUR_RGB.blue.map((v) => v / 255) as [number, number, number];
      const drawing: Drawing = {
        size: 64,
        background: [1, 1, 1],
        primitives: [{ kind: shape, rgb, cx: 30.5, cy: 33.2, s: 13, opacity: 1 }],
      };
      const pic = rasterize(drawing);
      const read = readPicture(pic, 64, 64);
      expect(read.background).toBe('white');
      expect(read.objects.map((o) => `${o.colour} ${o.shape}`)).toEqual([`blue ${shape}`]);
      // and pixel for pixel it is ShapesWorld's own render up to anti-aliasing at the edges
      const ref = renderScene({
        background: 'white',
        objects: [{ shape, colour: 'blue', size: 'large', position: 'center', cx: 30.5, cy: 33.2, s: 13 }],
      } as never);
      let differ = 0;
      for (let i = 0; i < pic.length; i++) if (Math.abs(pic[i]! - ref[i]! / 255) > 0.35) differ++;
      expect(differ / pic.length).toBeLessThan(0.01);
    }
  });

  it('draws a Bezier stroke of the given width through its end points, and nothing where opacity is zero', () => {
    const rgb: [number, number, number] = [1, 0, 0];
    const d: Drawing = {
      size: 64,
      background: [0, 0, 0],
      primitives: [{ kind: 'stroke', rgb, points: [8, 32, 32, 8, 56, 32], width: 4, opacity: 1 }],
    };
    const pic = rasterize(d);
    const red = (x: number, y: number) => pic[(y * 64 + x) * 3]!;
    expect(red(8, 31)).toBeGreaterThan(0.5); // the start
    expect(red(55, 31)).toBeGreaterThan(0.5); // the end
    expect(red(31, 19)).toBeGreaterThan(0.9); // the apex of the curve: (32, 20) at t = 0.5
    expect(red(31, 8)).toBe(0); // the control point is off the curve
    expect(red(31, 23)).toBe(0); // 3 px below the apex, beyond the half-width
    d.primitives[0]!.opacity = 0;
    expect(rasterize(d).every((v) => v === 0)).toBe(true);
  });

  it('decodes any genome, even infinite or huge genes, into a valid drawing', () => {
    expect(fold01(0.3)).toBeCloseTo(0.3);
    expect(fold01(1.3)).toBeCloseTo(0.7);
    expect(fold01(-0.2)).toBeCloseTo(0.2);
    expect(fold01(Number.POSITIVE_INFINITY)).toBe(0.5);
    const rng = createRng(3);
    const g = Array.from({ length: genomeLength(4) }, () => rng.gaussian() * 1e6);
    g[5] = Number.NaN;
    const d = decodeGenome(g, { size: 64, kinds: ['circle', 'stroke'] });
    expect(d.primitives).toHaveLength(4);
    for (const p of d.primitives) expect(['circle', 'stroke']).toContain(p.kind);
    const pic = rasterize(d);
    expect(pic.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('views', () => {
  it('the identity view leaves a picture as it is; a shift moves it', () => {
    const d: Drawing = {
      size: 64,
      background: [1, 1, 1],
      primitives: [{ kind: 'square', rgb: [0, 0, 1], cx: 32, cy: 32, s: 6, opacity: 1 }],
    };
    const pic = rasterize(d);
    const out = new Float32Array(pic.length);
    augment(pic, 64, IDENTITY, out);
    expect(Math.max(...out.map((v, i) => Math.abs(v - pic[i]!)))).toBeLessThan(1e-6);
    augment(pic, 64, { ...IDENTITY, dx: 8 }, out);
    const blue = (a: Float32Array, x: number) => a[(32 * 64 + x) * 3]! < 0.5;
    expect(blue(pic, 30) && !blue(pic, 42)).toBe(true);
    expect(!blue(out, 30) || blue(out, 42)).toBe(true);
    expect(blue(out, 42)).toBe(true);
  });
});

describe('the search loop', () => {
  // A pixel objective (not CLIP: this tests the optimizer): the closeness of the picture to a target.
  const target = rasterize({
    size: 32,
    background: [1, 1, 1],
    primitives: [{ kind: 'circle', rgb: [1, 0, 0], cx: 12, cy: 20, s: 6, opacity: 1 }],
  });
  const config = (seed: number, generations: number) => ({
    mean: new Float64Array(genomeLength(1)).fill(0.5),
    sigma: 0.2,
    generations,
    population: 12,
    augmentations: 1,
    seed,
    node: 'test/search',
    size: 32,
    frames: 4,
    render: (gs: Float64Array[]) => {
      const out = new Float32Array(gs.length * 32 * 32 * 3);
      gs.forEach((g, i) =>
        rasterize(decodeGenome(g, { size: 32, kinds: ['circle'] }), out.subarray(i * 3072, (i + 1) * 3072)),
      );
      return out;
    },
    score: async (imgs: { data: Float32Array; shape: readonly number[] }) =>
      Float32Array.from({ length: imgs.shape[0]! }, (_, i) => {
        let s = 0;
        for (let k = 0; k < 3072; k++) s += (imgs.data[i * 3072 + k]! - target[k]!) ** 2;
        return -s / 3072;
      }),
  });

  it(
    'improves the objective, keeps a monotone best-so-far ' + 'curve and evenly spaced frames, and is deterministic',
    async () => {
      const r = await clipSearch(config(5, 40));
      expect(r.bestCurve[39]!).toBeGreaterThan(r.bestCurve[0]!);
      for (let g = 1; g < 40; g++) expect(r.bestCurve[g]!).toBeGreaterThanOrEqual(r.bestCurve[g - 1]!);
      expect(r.frameGenerations).toEqual([10, 20, 30, 40]);
      expect(r.evaluations).toBeGreaterThan(40 * 12);
      expect(r.cleanScore).toBeGreaterThan(r.bestCurve[0]! / 2); // the squared error at least halved
      const again = await clipSearch(config(5, 40));
      expect(Array.from(again.bestImage)).toEqual(Array.from(r.bestImage));
    },
  );

  it('stops when aborted and refuses a render of the wrong size', async () => {
    const ac = new AbortController();
    const cfg = {
      ...config(1, 100),
      signal: ac.signal,
      onGeneration: (g: { generation: number }) => {
        if (g.generation === 3) ac.abort();
      },
    };
    await expect(clipSearch(cfg)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(clipSearch({ ...config(1, 2), render: () => new Float32Array(10) })).rejects.toThrow(
      /render returned 10 values for 12 pictures of 32x32/,
    );
  });
});
