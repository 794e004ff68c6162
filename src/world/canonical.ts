/**
 * Natural phrasings of ShapesWorld captions, read as the canonical caption the bundled models were trained on
 * ("a red circle to the left of a blue square" -> "a red circle left of a blue square"). Only what the grammar can
 * say is rewritten (relations, positions, backgrounds, articles, a few synonyms); anything else is left as typed,
 * so a word the world does not know stays unknown and the tokenizer names it.
 */
import { BACKGROUNDS, COLOURS, POSITIONS, SHAPES, SIZES, worldWords } from './spec';

/** One rewrite: what was typed and what it is read as ("" for a word added or dropped). */
export interface CaptionChange {
  from: string;
  to: string;
}

export interface CanonicalCaption {
  /** The caption as the word-level tokenizer reads it: lower case, single spaces. */
  text: string;
  /** The rewrites, in order; empty when the text was canonical (up to case and spacing). */
  changes: CaptionChange[];
}

/** Single words with one meaning in the world. */
const SYNONYMS: Readonly<Record<string, string>> = {
  an: 'a',
  grey: 'gray',
  big: 'large',
  huge: 'large',
  little: 'small',
  tiny: 'small',
  centre: 'center',
  middle: 'center',
};

const RELATION_PHRASES: ReadonlyArray<readonly [string[], string]> = [
  ...(['left', 'right'] as const).flatMap((side) =>
    ['to the', 'on the', 'at the', 'to', 'on', ''].flatMap((prep) =>
      ['', ' side'].map((tail) => [`${prep} ${side}${tail} of`.trim(), `${side} of`] as [string, string]),
    ),
  ),
  ...['above', 'on top of', 'over', 'atop', 'higher than'].map((p) => [p, 'above'] as [string, string]),
  ...['below', 'under', 'underneath', 'beneath', 'lower than'].map((p) => [p, 'below'] as [string, string]),
].flatMap(([phrase, canonical]) => [
  [phrase.split(' '), canonical],
  // "a red circle is to the left of a blue square"
  [['is', ...phrase.split(' ')], canonical],
]);

const POSITION_PHRASES: ReadonlyArray<readonly [string[], string]> = POSITIONS.flatMap((pos) => {
  const spellings = new Set([pos, pos.replace('top', 'upper').replace('bottom', 'lower')]);
  if (pos.includes(' ')) spellings.add(pos.split(' ').reverse().join(' ')); // "left top"
  return ['at the', 'in the', 'on the', 'to the', 'at', 'in', 'on'].flatMap((prep) =>
    [...spellings].flatMap((spelled) =>
      ['', ' corner', ' side', ' of the picture', ' of the image'].map(
        (tail) => [`${prep} ${spelled}${tail}`.split(' '), `at the ${pos}`] as const,
      ),
    ),
  );
});

const BACKGROUND_PHRASES: ReadonlyArray<readonly [string[], string]> = BACKGROUNDS.flatMap((bg) =>
  ['on a', 'on the', 'on', 'with a', 'with the', 'with', 'against a', 'against the', 'against', 'over a', ''].map(
    (prep) => [`${prep} ${bg} background`.trim().split(' '), `on a ${bg} background`] as const,
  ),
);

/** Longest phrases first, so "to the left of" wins over "to the left" and "on top of" over "on top". */
const PHRASES = [...RELATION_PHRASES, ...POSITION_PHRASES, ...BACKGROUND_PHRASES].sort(
  (a, b) => b[0].length - a[0].length,
);

const OBJECT_WORDS = new Set<string>([...SIZES, ...COLOURS, ...SHAPES]);
const RELATION_ENDS = new Set(['of', 'above', 'below']);

/** Splits typed text into words: lower case, hyphens as spaces, punctuation dropped (noted as a change). */
function words(text: string, changes: CaptionChange[]): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().split(/\s+/).filter(Boolean)) {
    const parts = raw.split(/[-_/]+/).filter(Boolean);
    if (parts.length > 1) changes.push({ from: raw, to: parts.join(' ') });
    for (const part of parts) {
      const bare = part.replace(/^[.,;:!?"'()]+|[.,;:!?"'()]+$/g, '');
      if (bare !== part) changes.push({ from: part, to: bare });
      if (bare) out.push(bare);
    }
  }
  return out;
}

/**
 * The canonical ShapesWorld caption for what was typed, and what was rewritten. Canonical text comes back
 * unchanged (lower-cased, single-spaced) with no changes; text outside the world keeps its unknown words.
 */
export function canonicalCaption(text: string): CanonicalCaption {
  const changes: CaptionChange[] = [];
  const typed = words(text, changes).map((w) => {
    const s = SYNONYMS[w];
    if (s === undefined) return w;
    changes.push({ from: w, to: s });
    return s;
  });
  // phrases, longest match first at each word
  const phrased: string[] = [];
  for (let i = 0; i < typed.length;) {
    const hit = PHRASES.find(([p]) => p.every((w, k) => typed[i + k] === w));
    if (!hit) {
      phrased.push(typed[i]!);
      i++;
      continue;
    }
    const [from, to] = hit;
    if (from.join(' ') !== to) changes.push({ from: from.join(' '), to });
    phrased.push(...to.split(' '));
    i += from.length;
  }
  // each object starts with "a": at the start, after "and" and after a relation
  const out: string[] = [];
  for (let i = 0; i < phrased.length; i++) {
    const w = phrased[i]!;
    const objectStart = i === 0 || phrased[i - 1] === 'and' || RELATION_ENDS.has(phrased[i - 1]!);
    if (w === 'a' && out[out.length - 1] === 'a') {
      changes.push({ from: 'a a', to: 'a' }); // "a a red circle": a template's article before a caption's
    } else if (objectStart && (w === 'the' || w === 'one') && OBJECT_WORDS.has(phrased[i + 1] ?? '')) {
      changes.push({ from: w, to: 'a' });
      out.push('a');
    } else if (objectStart && OBJECT_WORDS.has(w)) {
      changes.push({ from: '', to: 'a' });
      out.push('a', w);
    } else out.push(w);
  }
  return { text: out.join(' '), changes };
}

/** Edit distance (insert, delete, substitute, swap of neighbours) between two words. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The known word nearest to a typo ("cirlce" -> "circle"); undefined when none is within a third of its length. */
export function nearestWord(word: string, vocabulary: readonly string[] = worldWords()): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined,
    bestD = Infinity;
  for (const v of vocabulary) {
    const d = distance(word, v);
    if (d < bestD) [best, bestD] = [v, d];
  }
  return bestD <= limit ? best : undefined;
}

/**
 * A one-click fix for text the word-level tokenizer refused: each line read as its canonical caption, each word
 * still unknown replaced by the nearest known word. Undefined when some word has no near known word or nothing
 * would change.
 */
export function captionFix(text: string, vocabulary: readonly string[] = worldWords()): string | undefined {
  const known = new Set(vocabulary);
  const lines = text.split('\n').map((line) => {
    if (!line.trim()) return line;
    const fixed = canonicalCaption(line)
      .text.split(' ')
      .map((w) => (known.has(w) ? w : nearestWord(w, vocabulary)));
    return fixed.every((w) => w !== undefined) ? fixed.join(' ') : undefined;
  });
  if (lines.some((l) => l === undefined)) return undefined;
  const out = lines.join('\n');
  return out.trim() === text.trim() ? undefined : out;
}

/** The changes in a few words, for a node's note ('"to the left of" -> "left of"'). */
export function describeChanges(changes: readonly CaptionChange[]): string {
  return changes
    .map((c) => (c.from ? (c.to ? `"${c.from}" -> "${c.to}"` : `dropped "${c.from}"`) : `added "${c.to}"`))
    .join(', ');
}
