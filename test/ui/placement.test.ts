import { describe, expect, it } from 'vitest';
import { freeSpot } from '../../src/ui/placement';
import { finalNode } from '../../src/ui/reveal';
import { viewportToShow } from '../../src/ui/view';
import type { GraphNode } from '../../src/graph/document';

const box = (x: number, y: number, width = 240, height = 160) => ({ x, y, width, height });
const overlaps = (a: ReturnType<typeof box>, b: ReturnType<typeof box>) =>
  a.x < b.x + b.width && a.x + a.width > b.x && a.y < b.y + b.height && a.y + a.height > b.y;

describe('freeSpot: new nodes never land on top of others', () => {
  it('keeps the wanted spot when it is clear', () => {
    expect(freeSpot(box(0, 0), [box(600, 0)])).toEqual({ x: 0, y: 0 });
  });

  it('moves a node dropped on another to the nearest clear spot, with a gap', () => {
    const others = [box(0, 0, 240, 300)];
    const at = freeSpot(box(20, 20), others);
    expect(overlaps({ ...box(0, 0), ...at }, others[0]!)).toBe(false);
    // the nearest: beside or below, not far away
    expect(Math.hypot(at.x - 20, at.y - 20)).toBeLessThan(400);
  });

  it('finds a hole in a crowded column and never overlaps any of 400 nodes', () => {
    const grid = [];
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) grid.push(box(i * 300, j * 200, 240, 160));
    for (const want of [box(10, 10), box(2950, 1990), box(-100, 500), box(5990, 3990)]) {
      const at = freeSpot(want, grid);
      for (const o of grid) expect(overlaps({ ...want, ...at }, o)).toBe(false);
    }
  });
});

describe('finalNode: what the first run shows', () => {
  const n = (id: string, type: string, x: number, inputs?: Record<string, string>, y = 0): GraphNode => ({
    id,
    type,
    ui: { x, y },
    ...(inputs ? { inputs } : {}),
  });
  const outputs: Record<string, Record<string, string>> = {
    'test/picture': { image: 'Image' },
    'test/scores': { scores: 'Scores' },
    'test/text': { text: 'Text' },
  };
  const types = (t: string) => outputs[t];

  it('is the picture nothing reads, the rightmost of several, then the topmost', () => {
    const nodes = [
      n('prompt', 'test/text', 0),
      n('decoder', 'test/picture', 400, { text: 'prompt.text' }),
      n('image', 'test/picture', 800, { image: 'decoder.image' }),
      n('check', 'test/scores', 1200, { image: 'image.image' }),
      n('other', 'test/picture', 800, { image: 'decoder.image' }, -300),
    ];
    // "check" reads "image" but has no picture: the pictures nothing reads come first, the topmost at equal x
    expect(finalNode(nodes, types, () => true)).toBe('other');
    expect(finalNode(nodes, types, (id) => id !== 'other')).toBe('check');
    expect(finalNode(nodes.slice(0, 3), types, () => true)).toBe('image');
    // what did not run is not shown
    expect(finalNode(nodes.slice(0, 3), types, (id) => id === 'prompt')).toBeUndefined();
  });
});

describe('viewportToShow', () => {
  const pane = { width: 1000, height: 800 };
  it('leaves a node in view alone and moves as little as needed otherwise', () => {
    expect(viewportToShow(box(100, 100), { x: 0, y: 0, zoom: 1 }, pane)).toBeNull();
    // off the right edge by 240 + 24 margin at zoom 1
    expect(viewportToShow(box(1000, 100), { x: 0, y: 0, zoom: 1 }, pane)).toEqual({ x: -264, y: 0, zoom: 1 });
    // below, at zoom 0.5: its bottom at 450 + 0.5 * 1000 = 950 -> up by 174
    expect(viewportToShow(box(200, 900, 240, 1000), { x: 0, y: 0, zoom: 0.5 }, pane)).toEqual({
      x: 0,
      y: -174,
      zoom: 0.5,
    });
    // left of the view: brought clear of the zoom buttons
    expect(viewportToShow(box(-500, 100), { x: 0, y: 0, zoom: 1 }, pane)).toEqual({ x: 556, y: 0, zoom: 1 });
  });
});
