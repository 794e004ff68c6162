import { quoteValue } from '../tensor/quote';
import type { Rng } from '../tensor/prng';
import { relationHolds, type Scene, type SceneConstraints, type ObjectConstraints } from './scene';
import {
  BACKGROUNDS,
  COLOURS,
  POSITIONS,
  RELATIONS,
  SHAPES,
  SIZES,
  type Background,
  type Colour,
  type Position,
  type Relation,
  type Shape,
  type Size,
} from './spec';

export interface CaptionOptions {
  /** State every attribute (evaluation); otherwise each is dropped as the spec says. */
  full?: boolean;
}

/** Draws a caption for a scene per the ShapesWorld grammar. */
export function sampleCaption(rng: Rng, scene: Scene, opts: CaptionOptions = {}): string {
  const keep = (p: number) => opts.full || rng.chance(p);
  const bg = keep(0.5) ? ` on a ${scene.background} background` : '';
  if (scene.objects.length === 1) {
    const o = scene.objects[0]!;
    const words = ['a'];
    if (keep(0.5)) words.push(o.size);
    if (keep(0.8)) words.push(o.colour);
    words.push(o.shape);
    if (keep(0.5)) words.push('at the', o.position);
    return words.join(' ') + bg;
  }
  const [a, b] = scene.objects as [Scene['objects'][0], Scene['objects'][0]];
  const first = `a ${a.colour} ${a.shape}`,
    second = `a ${b.colour} ${b.shape}`;
  const relations = RELATIONS.filter((r) => relationHolds(a.position, b.position, r));
  const useRelation = relations.length > 0 && (opts.full || rng.chance(0.5));
  if (useRelation) return `${first} ${rng.pick(relations)} ${second}${bg}`;
  return `${first} and ${second}${bg}`;
}

/** Thrown when a caption is outside the ShapesWorld grammar; names the offending word. */
export class CaptionError extends Error {
  constructor(
    message: string,
    readonly word?: string,
  ) {
    super(message);
    this.name = 'CaptionError';
  }
}

function takePhrase<T extends string>(words: string[], i: number, options: readonly T[]): [T, number] | null {
  // longest match first so "top left" wins over "top"
  const sorted = [...options].sort((x, y) => y.split(' ').length - x.split(' ').length);
  for (const opt of sorted) {
    const parts = opt.split(' ');
    if (parts.every((p, k) => words[i + k] === p)) return [opt, i + parts.length];
  }
  return null;
}

function parseObject(words: string[], i: number, caption: string): [ObjectConstraints, number] {
  if (words[i] !== 'a')
    throw new CaptionError(
      `expected "a" at word ${i + 1} of ${quoteValue(caption)}, found ` +
        `${words[i] === undefined ? 'the end' : quoteValue(words[i]!, 30)}`,
      words[i],
    );
  i++;
  const c: ObjectConstraints = {};
  const size = takePhrase<Size>(words, i, SIZES);
  if (size) [c.size, i] = size;
  const colour = takePhrase<Colour>(words, i, COLOURS);
  if (colour) [c.colour, i] = colour;
  const shape = takePhrase<Shape>(words, i, SHAPES);
  if (!shape)
    throw new CaptionError(
      `expected a shape (${SHAPES.join(', ')}) at word ${i + 1} of ${quoteValue(caption)}, found ` +
        `${words[i] === undefined ? 'the end' : quoteValue(words[i]!, 30)}`,
      words[i],
    );
  [c.shape, i] = shape;
  return [c, i];
}

/** Parses a caption into the constraints it states. Throws CaptionError outside the grammar. */
export function parseCaption(caption: string): SceneConstraints {
  const words = caption.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new CaptionError('the caption is empty');
  let i = 0;
  const [first, after] = parseObject(words, i, caption);
  i = after;
  const out: SceneConstraints = { objects: [first] };
  if (words[i] === 'at' && words[i + 1] === 'the') {
    const pos = takePhrase<Position>(words, i + 2, POSITIONS);
    if (!pos)
      throw new CaptionError(
        `expected a position after "at the" in ${quoteValue(caption)}, found ` +
          `${words[i + 2] === undefined ? 'the end' : quoteValue(words[i + 2]!, 30)}`,
        words[i + 2],
      );
    [first.position, i] = pos;
  } else if (words[i] === 'and') {
    const [second, j] = parseObject(words, i + 1, caption);
    out.objects.push(second);
    i = j;
  } else {
    const rel = takePhrase<Relation>(words, i, RELATIONS);
    if (rel) {
      out.relation = rel[0];
      const [second, j] = parseObject(words, rel[1], caption);
      out.objects.push(second);
      i = j;
    }
  }
  if (words[i] === 'on' && words[i + 1] === 'a') {
    const bg = takePhrase<Background>(words, i + 2, BACKGROUNDS);
    if (!bg || words[bg[1]] !== 'background')
      throw new CaptionError(`expected "on a <white|black|gray> background" in ${quoteValue(caption)}`, words[i + 2]);
    out.background = bg[0];
    i = bg[1] + 1;
  }
  if (i < words.length)
    throw new CaptionError(
      `unexpected word ${quoteValue(words[i]!, 30)} at word ${i + 1} of ${quoteValue(caption)}`,
      words[i],
    );
  return out;
}
