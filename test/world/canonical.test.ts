import { describe, expect, it } from 'vitest';
import { canonicalCaption, captionFix, nearestWord } from '../../src/world/canonical';
import { captionBank } from '../../src/world/bank';
import { parseCaption, sampleCaption } from '../../src/world/caption';
import { sampleScene } from '../../src/world/scene';
import { worldWords } from '../../src/world/spec';
import { createRng } from '../../src/tensor/prng';
import { gradeRender } from '../helpers/scenes';

const read = (text: string) => canonicalCaption(text).text;

describe('canonicalCaption', () => {
  it.each([
    ['a red circle to the left of a blue square', 'a red circle left of a blue square'],
    ['a red circle on the left of a blue square', 'a red circle left of a blue square'],
    ['a red circle at the left of a blue square', 'a red circle left of a blue square'],
    ['a red circle left of a blue square', 'a red circle left of a blue square'],
    ['a red circle to the left side of a blue square', 'a red circle left of a blue square'],
    ['a red circle is to the left of a blue square', 'a red circle left of a blue square'],
    ['a red circle to the right of a blue square', 'a red circle right of a blue square'],
    ['a red circle on the right of a blue square', 'a red circle right of a blue square'],
    ['a red circle right of a blue square', 'a red circle right of a blue square'],
    ['a red circle above a blue square', 'a red circle above a blue square'],
    ['a red circle on top of a blue square', 'a red circle above a blue square'],
    ['a red circle over a blue square', 'a red circle above a blue square'],
    ['a red circle below a blue square', 'a red circle below a blue square'],
    ['a red circle under a blue square', 'a red circle below a blue square'],
    ['a red circle underneath a blue square', 'a red circle below a blue square'],
    ['a red circle beneath a blue square', 'a red circle below a blue square'],
  ])('reads the relation in "%s" as the grammar says it', (typed, canonical) => {
    expect(read(typed)).toBe(canonical);
  });

  it.each([
    ['A red circle to the left of the blue square.', 'a red circle left of a blue square'],
    ['red circle under blue square', 'a red circle below a blue square'],
    ['an orange circle and a blue square', 'a orange circle and a blue square'],
    ['a red circle and blue square', 'a red circle and a blue square'],
    ['a small red circle in the top-left corner', 'a small red circle at the top left'],
    ['a big red circle in the middle', 'a large red circle at the center'],
    ['a tiny cross in the upper right', 'a small cross at the top right'],
    ['a green square on the left', 'a green square at the left'],
    ['a cross on a grey background', 'a cross on a gray background'],
    ['a cross with a black background', 'a cross on a black background'],
    ['a cross, white background', 'a cross on a white background'],
    ['a a red circle', 'a red circle'],
  ])('reads the articles, positions, backgrounds and synonyms of "%s"', (typed, canonical) => {
    expect(read(typed)).toBe(canonical);
  });

  it('leaves canonical captions unchanged, with no changes (every caption of the bank and of the grammar)', () => {
    const rng = createRng(44);
    const captions = [...captionBank()];
    for (let i = 0; i < 2000; i++) captions.push(sampleCaption(rng, sampleScene(rng, { objects: [{}, {}] })));
    for (const c of captions) expect(canonicalCaption(c)).toEqual({ text: c, changes: [] });
  });

  it('says what it rewrote', () => {
    expect(canonicalCaption('a red circle to the left of a blue square').changes).toEqual([
      { from: 'to the left of', to: 'left of' },
    ]);
  });

  it('keeps words the world does not know (the tokenizer names them)', () => {
    expect(read('a red circle next to a blue square')).toBe('a red circle next to a blue square');
    expect(read('a red dragon')).toBe('a red dragon');
  });

  it('reads "to the left of" as exactly the caption the grammar draws for the scene, the pixel reader agreeing', () => {
    const rewritten = read('a red circle to the left of a blue square');
    const constraints = parseCaption(rewritten);
    expect(constraints).toEqual({
      objects: [
        { colour: 'red', shape: 'circle' },
        { colour: 'blue', shape: 'square' },
      ],
      relation: 'left of',
    });
    // scenes the caption describes: among the captions the grammar draws for each, the rewrite itself
    const rng = createRng(7);
    for (let k = 0; k < 5; k++) {
      const scene = sampleScene(rng, constraints);
      const drawn = new Set(Array.from({ length: 200 }, () => sampleCaption(rng, scene)));
      expect(drawn).toContain(rewritten);
      const grade = gradeRender(scene, constraints);
      expect(grade).toMatchObject({ pairs: true, relation: true, all: true });
    }
  });
});

describe('captionFix', () => {
  it('offers the rewrite with the nearest known word for a typo', () => {
    expect(nearestWord('cirlce')).toBe('circle');
    expect(nearestWord('sqaure')).toBe('square');
    expect(captionFix('a red cirlce to the left of a blue sqare')).toBe('a red circle left of a blue square');
  });

  it('offers nothing when a word has no near known word, or the text is already right', () => {
    expect(nearestWord('dragon')).toBeUndefined();
    expect(captionFix('a red dragon')).toBeUndefined();
    expect(captionFix('a red circle')).toBeUndefined();
  });

  it('fixes each line of a list on its own', () => {
    expect(captionFix('a red cirle\na blue square under a red circle')).toBe(
      'a red circle\na blue square below a red circle',
    );
  });

  it('only ever offers words of the vocabulary', () => {
    const words = new Set(worldWords());
    for (const t of ['a purpel triangel', 'a grene crss above a yelow circel']) {
      const fixed = captionFix(t);
      expect(fixed).toBeDefined();
      for (const w of fixed!.split(' ')) expect(words.has(w)).toBe(true);
    }
  });
});
