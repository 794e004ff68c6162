import { describe, expect, it } from 'vitest';
import { readerScores } from '../../eval/eval-compose';
import { createRng } from '../../src/tensor/prng';
import { float32 } from '../../src/tensor/tensor';
import { parseCaption, sampleCaption } from '../../src/world/caption';
import { readPicture } from '../../src/world/read';
import { renderScene } from '../../src/world/render';
import { sampleScene, type Scene } from '../../src/world/scene';
import { gradeRender } from '../helpers/scenes';

const truthOf = (scene: Scene) => ({
  background: scene.background,
  objects: scene.objects.map(({ colour, shape, size, position }) => ({ colour, shape, size, position })),
});

function accuracy(objects: number, seed: number, n: number): number {
  const rng = createRng(seed);
  let right = 0;
  for (let i = 0; i < n; i++) {
    const scene = sampleScene(rng, { objects: Array.from({ length: objects }, () => ({})) });
    if (gradeRender(scene, truthOf(scene)).all) right++;
  }
  return right / n;
}

describe('the pixel-level ShapesWorld reader', () => {
  it('reads every attribute of clean one-object renders right at least 99% of the time', () => {
    expect(accuracy(1, 11, 600)).toBeGreaterThanOrEqual(0.99);
  });

  it('reads both objects of clean two-object renders right at least 99% of the time', () => {
    expect(accuracy(2, 12, 600)).toBeGreaterThanOrEqual(0.99);
  });

  it('reports colour, shape, size, cell, centre and a near-perfect fit on a known scene', () => {
    const scene: Scene = {
      background: 'black',
      objects: [
        { shape: 'triangle', colour: 'yellow', size: 'large', position: 'top left', cx: 17, cy: 15, s: 14 },
        { shape: 'cross', colour: 'cyan', size: 'small', position: 'bottom right', cx: 48, cy: 47, s: 8 },
      ],
    };
    const read = readPicture(renderScene(scene), 64, 64);
    expect(read.background).toBe('black');
    expect(read.objects.map(({ colour, shape, size, position }) => [colour, shape, size, position])).toEqual([
      ['yellow', 'triangle', 'large', 'top left'],
      ['cyan', 'cross', 'small', 'bottom right'],
    ]);
    expect(read.objects[0]!.cx).toBeCloseTo(17, 0);
    expect(read.objects[1]!.s).toBeCloseTo(8, 0);
    for (const o of read.objects) expect(o.fit).toBeGreaterThan(0.85);
  });

  it('reads float pictures and half-resolution pictures in 64x64 units', () => {
    const scene: Scene = {
      background: 'white',
      objects: [{ shape: 'square', colour: 'red', size: 'large', position: 'right', cx: 48, cy: 32, s: 14 }],
    };
    const img = renderScene(scene);
    const half = new Float32Array(32 * 32 * 3);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) {
          half[(y * 32 + x) * 3 + c] = img[(2 * y * 64 + 2 * x) * 3 + c]! / 255;
        }
    const read = readPicture(half, 32, 32);
    expect(read.objects).toHaveLength(1);
    expect(read.objects[0]).toMatchObject({ colour: 'red', shape: 'square', size: 'large', position: 'right' });
  });

  it('ignores specks and reads an empty picture as no objects', () => {
    const img = renderScene({ background: 'gray', objects: [] });
    img.set([220, 40, 40], (10 * 64 + 10) * 3); // one red pixel
    expect(readPicture(img, 64, 64).objects).toEqual([]);
  });

  it('grades count, colour-shape binding and relation separately', () => {
    const asked = parseCaption('a red circle left of a blue square on a white background');
    const right: Scene = {
      background: 'white',
      objects: [
        { shape: 'circle', colour: 'red', size: 'small', position: 'left', cx: 16, cy: 32, s: 8 },
        { shape: 'square', colour: 'blue', size: 'small', position: 'right', cx: 48, cy: 32, s: 8 },
      ],
    };
    expect(gradeRender(right, asked)).toEqual({ count: true, pairs: true, all: true, relation: true });
    const mirrored: Scene = {
      ...right,
      objects: right.objects.map((o) => ({ ...o, cx: 64 - o.cx, position: o.position === 'left' ? 'right' : 'left' })),
    };
    expect(gradeRender(mirrored, asked)).toEqual({ count: true, pairs: true, all: false, relation: false });
    const swapped: Scene = {
      ...right,
      objects: [
        { ...right.objects[0]!, colour: 'blue' },
        { ...right.objects[1]!, colour: 'red' },
      ],
    };
    expect(gradeRender(swapped, asked)).toMatchObject({ count: true, pairs: false, all: false });
    const three: Scene = {
      ...right,
      objects: [
        ...right.objects,
        { shape: 'circle', colour: 'red', size: 'small', position: 'top', cx: 32, cy: 14, s: 8 },
      ],
    };
    expect(gradeRender(three, asked)).toMatchObject({ count: false, pairs: true, all: false });
  });

  it("tells pictures with too few objects from pictures with an extra copy (the eval's counting split)", () => {
    const caption = 'a red circle left of a blue square on a white background';
    const prompt = { caption, truth: parseCaption(caption), heldOut: false };
    const red = { shape: 'circle', colour: 'red', size: 'small', position: 'left', cx: 16, cy: 32, s: 8 } as const;
    const blue = { shape: 'square', colour: 'blue', size: 'small', position: 'right', cx: 48, cy: 32, s: 8 } as const;
    const extra = { ...red, position: 'top', cx: 32, cy: 14 } as const;
    const scenes: Scene[] = [[red, blue], [red], [red, blue, extra], [red, blue]].map((objects) => ({
      background: 'white',
      objects: [...objects],
    }));
    const pictures = float32(
      [scenes.length, 64, 64, 3],
      scenes.flatMap((scene) => Array.from(renderScene(scene), (v) => v / 255)),
    );
    const scores = readerScores(
      pictures,
      Array.from({ length: scenes.length }, () => prompt),
    );
    expect(scores).toMatchObject({ count: 0.5, fewer: 0.25, more: 0.25, pairs: 0.75, n: 4 });
  });

  it('grades captions the grammar draws for their own scenes as right', () => {
    const rng = createRng(3);
    let right = 0;
    for (let i = 0; i < 200; i++) {
      const scene = sampleScene(rng, { objects: rng.chance(0.5) ? [{}] : [{}, {}] });
      if (gradeRender(scene, parseCaption(sampleCaption(rng, scene, { full: true }))).all) right++;
    }
    expect(right).toBeGreaterThanOrEqual(198);
  });
});

describe('messages about bad captions', () => {
  it('quote at most a short piece of a long value and name the known words', async () => {
    const { parseCaption } = await import('../../src/world/caption');
    const long = `a red circle ${'x'.repeat(10_000)}`;
    let message = '';
    try {
      parseCaption(long);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/unexpected word "x+…" \(10000 characters\)/);
    expect(message.length).toBeLessThan(300);
  });
});
