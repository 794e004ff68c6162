import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clipTokenizerDir, sharedClipTokenizerJson } from '../../scripts/published-clip';
import { attentionMask } from '../../src/models/runtime/tokenizer';
import { ClipBpeTokenizer } from '../../src/models/runtime/tokenizer-bpe';
import { JsonTokenizer } from '../../src/models/runtime/tokenizer-json';

// tokenizer.json is built from ../shared/data/clip-tokenizer (vocab.json, merges.txt) as CLIPTokenizerFast writes it
const json = new JsonTokenizer(sharedClipTokenizerJson(), undefined, 77);
const dir = clipTokenizerDir();
const handWritten = new ClipBpeTokenizer(
  JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')),
  readFileSync(join(dir, 'merges.txt'), 'utf8'),
  77,
  { start: '<|startoftext|>', end: '<|endoftext|>', pad: '<|endoftext|>' },
);
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/clip-bpe-reference.json', import.meta.url), 'utf8'),
) as Array<{ text: string; ids: number[] }>;

/** Varied texts from a seeded stream: words, case, digits, punctuation, contractions, accents, emoji, scripts. */
function variedTexts(count: number): string[] {
  const pieces = [
    'a',
    'photo',
    'of',
    'the',
    'CAT',
    'Dog',
    'red',
    'circle',
    "it's",
    "don't",
    "we'll",
    'café',
    'naïve',
    'Zürich',
    '2024',
    '3.14',
    '1,000',
    '50%',
    '@openai',
    '#1',
    '(v2)',
    '--',
    '!!!',
    '?',
    'e\u0301cole',
    '🐱',
    '👍🏽',
    '🇫🇷',
    '日本語',
    'Ελληνικά',
    'антидот',
    'x'.repeat(30),
    'supercalifragilistic',
    '<|endoftext|>',
    '\t',
    '  ',
    '\n',
    'New-York',
    "O'Neil",
    'e-mail',
    'ÆØÅ',
    'ß',
    'İstanbul',
    'ﬁ',
    '½',
    '…',
    '“quoted”',
    'a.b.c',
    '$9.99',
  ];
  let state = 20261207;
  const next = () => (state = (state * 48271) % 2147483647);
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + (next() % 12) }, () => pieces[next() % pieces.length]).join(next() % 3 ? ' ' : ''),
  );
}

describe('a CLIP tokenizer.json read by @huggingface/tokenizers', () => {
  it('gives the README reference ids', () => {
    expect(json.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it.each(reference.filter((r) => !r.text.includes('&')))('gives the reference ids for %j', ({ text, ids }) => {
    expect(json.encode(text)).toEqual(ids);
  });

  it('reads HTML entities as typed, as Hugging Face’s fast CLIP tokenizer does (openai’s cleans them first)', () => {
    const entities = reference.find((r) => r.text.includes('&'))!;
    expect(json.encode(entities.text)).not.toEqual(entities.ids);
    expect(json.encode('fish & chips <3')).toEqual(entities.ids);
  });

  it('agrees with the hand-written BPE tokenizer on 400 varied texts', () => {
    // (but for <|endoftext|> typed right after punctuation: the next test)
    const glued = /[^\s\p{L}\p{N}]<\|endoftext\|>/iu;
    const texts = variedTexts(400).filter((t) => !glued.test(t) && handWritten.tokens(t).length <= 75);
    expect(texts.length).toBeGreaterThan(300);
    for (const t of texts) expect([t, json.encode(t)]).toEqual([t, handWritten.encode(t)]);
  });

  it('reads <|endoftext|> typed after punctuation as the special token, as Hugging Face does', () => {
    // openai's pattern (the hand-written one) takes "?<|" as one piece of punctuation; the library, like
    // Hugging Face's tokenizers and transformers.js, finds added tokens before it splits
    expect(json.encode('?<|endoftext|>')).toEqual([49406, 286, 49407, 49407]);
    expect(handWritten.encode('?<|endoftext|>')).not.toEqual(json.encode('?<|endoftext|>'));
  });

  it('cuts a long text to the context keeping the start and end tokens, pads with the end token', () => {
    const ids = json.encode('a photo of a cat '.repeat(30));
    expect(ids).toHaveLength(77);
    expect([ids[0], ids[76]]).toEqual([49406, 49407]);
    const batch = json.encodeBatch(['a cat', 'a photo of a <|endoftext|> token']);
    expect(batch.shape).toEqual([2, 77]);
    const mask = attentionMask(batch.ids, batch.shape, json.padId, json.endId);
    // through the end token: "a cat" is 4 tokens, the other 8 (its end token inside the text stays unmasked)
    expect([...mask.slice(0, 6)]).toEqual([1n, 1n, 1n, 1n, 0n, 0n]);
    expect(mask.slice(77).reduce((s, v) => s + v, 0n)).toBe(8n);
  });
});
