/** ShapesWorld v1: the words, colours and geometry that the renderer, the datasets, training and the judges share. */
export const WORLD_VERSION = 'shapesworld-v1';
export const CANVAS = 64;

export const SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'cyan', 'pink'] as const;
export const BACKGROUNDS = ['white', 'black', 'gray'] as const;
export const SIZES = ['small', 'large'] as const;
export const POSITIONS = [
  'top left',
  'top',
  'top right',
  'left',
  'center',
  'right',
  'bottom left',
  'bottom',
  'bottom right',
] as const;
export const RELATIONS = ['left of', 'right of', 'above', 'below'] as const;

export type Shape = (typeof SHAPES)[number];
export type Colour = (typeof COLOURS)[number];
export type Background = (typeof BACKGROUNDS)[number];
export type Size = (typeof SIZES)[number];
export type Position = (typeof POSITIONS)[number];
export type Relation = (typeof RELATIONS)[number];

export const COLOUR_RGB: Record<Colour, readonly [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 170, 70],
  blue: [40, 90, 220],
  yellow: [240, 210, 40],
  purple: [140, 70, 200],
  orange: [245, 140, 30],
  cyan: [40, 200, 210],
  pink: [240, 120, 190],
};
export const BACKGROUND_RGB: Record<Background, readonly [number, number, number]> = {
  white: [255, 255, 255],
  black: [0, 0, 0],
  gray: [128, 128, 128],
};
export const HALF_EXTENT: Record<Size, number> = { small: 8, large: 14 };
export const SIZE_JITTER = 1;
export const POSITION_JITTER = 4;
const CELL_CENTRES = [16, 32, 48];

/** Column and row (0..2) of a grid position. */
export function cellOf(position: Position): { col: number; row: number } {
  const i = POSITIONS.indexOf(position);
  return { col: i % 3, row: Math.floor(i / 3) };
}
export function cellCentre(position: Position): { x: number; y: number } {
  const { col, row } = cellOf(position);
  return { x: CELL_CENTRES[col]!, y: CELL_CENTRES[row]! };
}

/** Colour-shape pairs never rendered in training data. */
export const HELD_OUT_PAIRS: ReadonlyArray<readonly [Colour, Shape]> = [
  ['purple', 'triangle'],
  ['orange', 'circle'],
  ['cyan', 'square'],
  ['green', 'cross'],
];
export function isHeldOut(colour: Colour, shape: Shape): boolean {
  return HELD_OUT_PAIRS.some(([c, s]) => c === colour && s === shape);
}

/** Words of the grammar besides attribute values. */
export const GRAMMAR_WORDS = [
  'a',
  'at',
  'the',
  'on',
  'background',
  'and',
  'of',
  'left',
  'right',
  'above',
  'below',
] as const;

/** Every word a caption may contain, in a fixed order (the word-level vocabulary). */
export function worldWords(): string[] {
  const words = new Set<string>();
  const add = (w: string) => w.split(' ').forEach((x) => words.add(x));
  [...GRAMMAR_WORDS, ...SHAPES, ...COLOURS, ...BACKGROUNDS, ...SIZES, ...POSITIONS, ...RELATIONS].forEach(add);
  return [...words];
}

/**
 * The world's constants as plain JSON: `training/world/world.json` (written by `npx tsx src/world/spec-cli.ts`, checked
 * against this by test/world/world.test.ts) is what the Python training and probe scripts read, so the world is
 * spelled in one place.
 */
export function worldSpec() {
  return {
    version: WORLD_VERSION,
    canvas: CANVAS,
    shapes: [...SHAPES],
    colours: [...COLOURS],
    backgrounds: [...BACKGROUNDS],
    sizes: [...SIZES],
    positions: [...POSITIONS],
    relations: [...RELATIONS],
    colourRgb: Object.fromEntries(COLOURS.map((c) => [c, [...COLOUR_RGB[c]]])),
    backgroundRgb: Object.fromEntries(BACKGROUNDS.map((b) => [b, [...BACKGROUND_RGB[b]]])),
    halfExtent: { ...HALF_EXTENT },
    sizeJitter: SIZE_JITTER,
    positionJitter: POSITION_JITTER,
    cellCentre: Object.fromEntries(POSITIONS.map((p) => [p, [cellCentre(p).x, cellCentre(p).y]])),
    heldOutPairs: HELD_OUT_PAIRS.map(([c, s]) => [c, s]),
  };
}
