import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/tensor/prng';
import { captionBank } from '../../src/world/bank';
import { parseCaption, sampleCaption } from '../../src/world/caption';
import { writeDataset } from '../../src/world/dataset';
import { renderScene } from '../../src/world/render';
import { randomScene, relationHolds, sampleScene, type Scene } from '../../src/world/scene';
import { BACKGROUND_RGB, COLOUR_RGB, HELD_OUT_PAIRS, isHeldOut, worldSpec } from '../../src/world/spec';

const px = (img: Uint8Array, x: number, y: number, size = 64) =>
  Array.from(img.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));

describe('ShapesWorld renderer', () => {
  it('is deterministic for a seed', () => {
    const a = renderScene(randomScene(createRng(9)));
    const b = renderScene(randomScene(createRng(9)));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('fills shapes with the exact spec colour over the exact background', () => {
    const scene: Scene = {
      background: 'gray',
      objects: [{ shape: 'square', colour: 'orange', size: 'large', position: 'center', cx: 32, cy: 32, s: 14 }],
    };
    const img = renderScene(scene);
    expect(px(img, 32, 32)).toEqual([...COLOUR_RGB.orange]);
    expect(px(img, 2, 2)).toEqual([...BACKGROUND_RGB.gray]);
    // the square covers [18, 46): pixel 18 is inside, 17 outside, 46 outside
    expect(px(img, 18, 32)).toEqual([...COLOUR_RGB.orange]);
    expect(px(img, 17, 32)).toEqual([...BACKGROUND_RGB.gray]);
    expect(px(img, 46, 32)).toEqual([...BACKGROUND_RGB.gray]);
  });

  it('draws the geometry of the spec: triangle apex up, cross arms a third thick, anti-aliased circle edges', () => {
    const at = (shape: Scene['objects'][0]['shape']) =>
      renderScene({
        background: 'black',
        objects: [{ shape, colour: 'red', size: 'large', position: 'center', cx: 32, cy: 32, s: 15 }],
      });
    const tri = at('triangle');
    expect(px(tri, 32, 18)[0]).toBeGreaterThan(0); // near the apex, centre column
    expect(px(tri, 20, 18)).toEqual([0, 0, 0]); // beside the apex: empty
    expect(px(tri, 20, 45)[0]).toBe(220); // the base is full width
    const cross = at('cross');
    expect(px(cross, 32, 20)[0]).toBe(220); // vertical arm
    expect(px(cross, 22, 22)).toEqual([0, 0, 0]); // a corner of the box is empty
    const circle = at('circle');
    const edge = px(circle, 42, 42)[0]!; // on the rim at 45 degrees: partial coverage
    expect(edge).toBeGreaterThan(0);
    expect(edge).toBeLessThan(220);
  });
});

describe('scenes and captions', () => {
  it('keeps two objects in different cells without overlapping boxes', () => {
    const rng = createRng(1);
    for (let i = 0; i < 300; i++) {
      const s = sampleScene(rng, { objects: [{}, {}] });
      const [a, b] = s.objects as [Scene['objects'][0], Scene['objects'][0]];
      expect(a.position).not.toBe(b.position);
      expect(Math.abs(a.cx - b.cx) >= a.s + b.s || Math.abs(a.cy - b.cy) >= a.s + b.s).toBe(true);
    }
  });

  it('captions parse back into constraints the scene satisfies (relations true of the cells)', () => {
    const rng = createRng(2);
    for (let i = 0; i < 500; i++) {
      const scene = randomScene(rng);
      const caption = sampleCaption(rng, scene);
      const c = parseCaption(caption);
      expect(c.objects.length).toBe(scene.objects.length);
      c.objects.forEach((o, k) => {
        const real = scene.objects[k]!;
        expect(o.shape).toBe(real.shape);
        if (o.colour) expect(o.colour).toBe(real.colour);
        if (o.size) expect(o.size).toBe(real.size);
        if (o.position) expect(o.position).toBe(real.position);
      });
      if (c.background) expect(c.background).toBe(scene.background);
      if (c.relation)
        expect(relationHolds(scene.objects[0]!.position, scene.objects[1]!.position, c.relation)).toBe(true);
    }
  });

  it('drops attributes with the spec probabilities (colour 0.8, size 0.5)', () => {
    const rng = createRng(3);
    let colour = 0,
      size = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const c = parseCaption(sampleCaption(rng, sampleScene(rng, { objects: [{}] })));
      if (c.objects[0]!.colour) colour++;
      if (c.objects[0]!.size) size++;
    }
    expect(colour / n).toBeGreaterThan(0.77);
    expect(colour / n).toBeLessThan(0.83);
    expect(size / n).toBeGreaterThan(0.47);
    expect(size / n).toBeLessThan(0.53);
  });

  it('parses the spec examples and refuses words outside the grammar, naming them', () => {
    expect(parseCaption('a large red circle at the top left on a white background')).toEqual({
      objects: [{ size: 'large', colour: 'red', shape: 'circle', position: 'top left' }],
      background: 'white',
    });
    expect(parseCaption('a yellow square left of a blue circle')).toEqual({
      objects: [
        { colour: 'yellow', shape: 'square' },
        { colour: 'blue', shape: 'circle' },
      ],
      relation: 'left of',
    });
    expect(() => parseCaption('a red hexagon')).toThrow(/found "hexagon"/);
    expect(() => parseCaption('a red circle please')).toThrow(/unexpected word "please"/);
  });

  it('the caption bank covers every single-object attribute combination', () => {
    const bank = captionBank();
    expect(new Set(bank).size).toBe(bank.length);
    expect(bank).toContain('a small cyan square at the bottom right on a gray background');
  });
  it('renders at 256x256 with every coordinate and size times 4: box-downsampled, the 64x64 render', () => {
    const rng = createRng(21);
    let sum = 0,
      far = 0,
      n = 0;
    for (let k = 0; k < 40; k++) {
      const scene = randomScene(rng);
      const small = renderScene(scene);
      const big = renderScene(scene, undefined, 4);
      expect(big.length).toBe(256 * 256 * 3);
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          for (let c = 0; c < 3; c++) {
            let box = 0;
            for (let j = 0; j < 4; j++)
              for (let i = 0; i < 4; i++) box += big[((y * 4 + j) * 256 + x * 4 + i) * 3 + c]!;
            const d = Math.abs(box / 16 - small[(y * 64 + x) * 3 + c]!);
            sum += d;
            if (d > 24) far++;
            n++;
          }
    }
    // the same picture; only edge pixels differ (4x4 samples a pixel at 64, 16x16 once downsampled from 256)
    expect(sum / n).toBeLessThan(0.5);
    expect(far / n).toBeLessThan(0.002);
    // a 256 render's interior is the flat spec colour
    const scene: Scene = {
      background: 'gray',
      objects: [{ shape: 'square', colour: 'orange', size: 'large', position: 'center', cx: 32, cy: 32, s: 14 }],
    };
    const big = renderScene(scene, undefined, 4);
    expect(px(big, 128, 128, 256)).toEqual([...COLOUR_RGB.orange]);
    expect(px(big, 71, 128, 256)).toEqual([...BACKGROUND_RGB.gray]); // the square starts at 18 * 4 = 72
    expect(px(big, 72, 128, 256)).toEqual([...COLOUR_RGB.orange]);
    expect(() => renderScene(scene, new Uint8Array(64 * 64 * 3), 4)).toThrow(/not 256x256x3/);
  });
});

describe('the dataset file', () => {
  it('never renders a held-out colour-shape pair, and stores images, captions and scenes', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ds-')), 'd.bin');
    writeDataset(path, { count: 3000, seed: 4 });
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 8).toString()).toBe('SWDS0001');
    const hlen = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + hlen).toString('utf8'));
    expect(header.count).toBe(3000);
    expect(bytes.length).toBe(12 + hlen + 3000 * 64 * 64 * 3);
    for (const scene of header.scenes as Scene[])
      for (const o of scene.objects) expect(isHeldOut(o.colour, o.shape)).toBe(false);
    for (const caps of header.captions as string[][])
      for (const c of caps) {
        const parsed = parseCaption(c);
        for (const o of parsed.objects)
          for (const [hc, hs] of HELD_OUT_PAIRS) expect(o.colour === hc && o.shape === hs).toBe(false);
      }
  });
  it('writes 256x256 renders of the same scenes with --scale 4', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds256-'));
    writeDataset(join(dir, 'a.bin'), { count: 4, seed: 8 });
    writeDataset(join(dir, 'b.bin'), { count: 4, seed: 8, scale: 4 });
    const head = (b: Buffer) => JSON.parse(b.subarray(12, 12 + b.readUInt32LE(8)).toString('utf8'));
    const a = readFileSync(join(dir, 'a.bin')),
      b = readFileSync(join(dir, 'b.bin'));
    expect(head(b)).toMatchObject({ size: 256, scale: 4, count: 4 });
    expect(head(b).scenes).toEqual(head(a).scenes);
    expect(b.length).toBe(12 + b.readUInt32LE(8) + 4 * 256 * 256 * 3);
  });
});

describe('training/world/world.json (the world as the Python scripts read it)', () => {
  it('is what src/world/spec.ts says, to the value: regenerate it with npx tsx src/world/spec-cli.ts', () => {
    const onDisk = JSON.parse(readFileSync(new URL('../../training/world/world.json', import.meta.url), 'utf8'));
    expect(onDisk).toEqual(worldSpec());
    expect(onDisk.cellCentre['bottom left']).toEqual([16, 48]);
    expect(onDisk.heldOutPairs).toContainEqual(['purple', 'triangle']);
  });
});
