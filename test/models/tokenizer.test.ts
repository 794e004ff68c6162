import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClipBpeTokenizer } from '../../src/models/runtime/tokenizer-bpe';
import { WordTokenizer } from '../../src/models/runtime/tokenizer-word';
import { worldWords } from '../../src/world/spec';

// The real CLIP vocabulary lives beside the project (../shared), never copied into it.
const candidates = [
  process.env.UNCLIP_SHARED_DIR,
  fileURLToPath(new URL('../../../shared', import.meta.url)),
  '/work/shared',
].filter((d): d is string => !!d);
const sharedDir = candidates.find((d) => existsSync(join(d, 'data/clip-tokenizer/vocab.json')));
if (!sharedDir)
  throw new Error(`the CLIP tokenizer files were not found in ${candidates.join(', ')} (set UNCLIP_SHARED_DIR)`);
const SHARED = pathToFileURL(join(sharedDir, 'data/clip-tokenizer/'));
const clip = new ClipBpeTokenizer(
  JSON.parse(readFileSync(new URL('vocab.json', SHARED), 'utf8')),
  readFileSync(new URL('merges.txt', SHARED), 'utf8'),
  77,
  { start: '<|startoftext|>', end: '<|endoftext|>', pad: '<|endoftext|>' },
);
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/clip-bpe-reference.json', import.meta.url), 'utf8'),
) as Array<{ text: string; ids: number[] }>;

describe("CLIP's byte-level BPE tokenizer, with the real CLIP vocabulary", () => {
  it('tokenizes "a photo of a cat" as CLIP does', () => {
    expect(clip.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it.each(reference)('matches the reference tokenizer on %j', ({ text, ids }) => {
    expect(clip.encode(text)).toEqual(ids);
  });

  it('pads a batch to the context length with ids [N, 77]', () => {
    const b = clip.encodeBatch(['a cat', 'a photo of a dog']);
    expect(b.shape).toEqual([2, 77]);
    expect(b.lengths).toEqual([4, 7]);
    expect(Number(b.ids[77 + 6])).toBe(49407);
  });

  it('refuses text longer than the context, saying so', () => {
    expect(() => clip.encode('cat '.repeat(100))).toThrow(/more than the context of 77/);
  });
});

describe('the bundled word-level tokenizer', () => {
  const vocab = JSON.parse(
    readFileSync(new URL('../../public/models/shapesworld-vocab.json', import.meta.url), 'utf8'),
  ) as Record<string, number>;
  const tok = new WordTokenizer(vocab, 16, { start: '<start>', end: '<end>', pad: '<pad>' });

  it('knows every word of the ShapesWorld grammar', () => {
    for (const w of worldWords()) expect(vocab[w]).toBeTypeOf('number');
  });

  it('encodes a caption with start and end tokens, lower-cased', () => {
    expect(tok.encode('A Red  circle')).toEqual([vocab['<start>'], vocab.a, vocab.red, vocab.circle, vocab['<end>']]);
  });

  it('refuses an unknown word, naming it', () => {
    expect(() => tok.encode('a red dodecahedron')).toThrow(/unknown word "dodecahedron"/);
  });

  it('says which words it knows, and quotes only the start of a long caption', () => {
    expect(() => tok.encode('a red dragon')).toThrow(/the model knows \d+ words: .*\bcircle\b.*\bsquare\b/);
    let message = '';
    try {
      tok.encode(`a red dragon ${'y'.repeat(10_000)}`);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/…" \(10013 characters\)/);
    expect(message.length).toBeLessThan(600);
  });
});
