import type { Rng } from '../tensor/prng';
import {
  BACKGROUNDS,
  COLOURS,
  HALF_EXTENT,
  POSITIONS,
  POSITION_JITTER,
  SHAPES,
  SIZES,
  SIZE_JITTER,
  cellCentre,
  isHeldOut,
  type Background,
  type Colour,
  type Position,
  type Shape,
  type Size,
} from './spec';

export interface SceneObject {
  shape: Shape;
  colour: Colour;
  size: Size;
  position: Position;
  /** Centre in pixels (after jitter). */
  cx: number;
  cy: number;
  /** Half-extent in pixels (after jitter). */
  s: number;
}
export interface Scene {
  background: Background;
  objects: SceneObject[];
}

/** Attribute constraints on one object; unset fields are free. */
export interface ObjectConstraints {
  shape?: Shape;
  colour?: Colour;
  size?: Size;
  position?: Position;
}
export interface SceneConstraints {
  background?: Background;
  objects: ObjectConstraints[];
  /** Relation of object 0 to object 1 ("a red circle left of a blue square"). */
  relation?: 'left of' | 'right of' | 'above' | 'below';
}

export interface SampleOptions {
  /** Never produce the held-out colour-shape pairs (training data). */
  excludeHeldOut?: boolean;
}

function boxesOverlap(a: SceneObject, b: SceneObject): boolean {
  return Math.abs(a.cx - b.cx) < a.s + b.s && Math.abs(a.cy - b.cy) < a.s + b.s;
}

export function relationHolds(a: Position, b: Position, relation: SceneConstraints['relation']): boolean {
  const ia = POSITIONS.indexOf(a),
    ib = POSITIONS.indexOf(b);
  const ca = ia % 3,
    ra = Math.floor(ia / 3),
    cb = ib % 3,
    rb = Math.floor(ib / 3);
  switch (relation) {
    case 'left of':
      return ca < cb;
    case 'right of':
      return ca > cb;
    case 'above':
      return ra < rb;
    case 'below':
      return ra > rb;
    default:
      return true;
  }
}

function sampleObject(rng: Rng, c: ObjectConstraints, opts: SampleOptions): SceneObject {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const shape = c.shape ?? rng.pick(SHAPES);
    const colour = c.colour ?? rng.pick(COLOURS);
    if (opts.excludeHeldOut && isHeldOut(colour, shape)) continue;
    const size = c.size ?? rng.pick(SIZES);
    const position = c.position ?? rng.pick(POSITIONS);
    const centre = cellCentre(position);
    return {
      shape,
      colour,
      size,
      position,
      cx: centre.x + rng.uniform(-POSITION_JITTER, POSITION_JITTER),
      cy: centre.y + rng.uniform(-POSITION_JITTER, POSITION_JITTER),
      s: HALF_EXTENT[size] + rng.uniform(-SIZE_JITTER, SIZE_JITTER),
    };
  }
  throw new Error(`cannot sample an object for ${JSON.stringify(c)}: it names a held-out colour-shape pair`);
}

/**
 * Samples a scene satisfying the constraints. Two objects sit in different
 * cells with disjoint boxes; the sampler retries until they do.
 */
export function sampleScene(rng: Rng, constraints: SceneConstraints, opts: SampleOptions = {}): Scene {
  const background = constraints.background ?? rng.pick(BACKGROUNDS);
  const n = constraints.objects.length;
  if (n < 1 || n > 2) throw new Error(`a scene has one or two objects, not ${n}`);
  for (let attempt = 0; attempt < 2000; attempt++) {
    const objects = constraints.objects.map((c) => sampleObject(rng, c, opts));
    if (n === 2) {
      const [a, b] = objects as [SceneObject, SceneObject];
      if (a.position === b.position || boxesOverlap(a, b)) continue;
      if (!relationHolds(a.position, b.position, constraints.relation)) continue;
    }
    return { background, objects };
  }
  throw new Error(
    `no scene satisfies ${JSON.stringify(constraints)} (the objects cannot be placed without overlapping)`,
  );
}

/** A random scene: one object 70% of the time, two 30%. */
export function randomScene(rng: Rng, opts: SampleOptions = {}): Scene {
  const two = rng.chance(0.3);
  return sampleScene(rng, { objects: two ? [{}, {}] : [{}] }, opts);
}
