import { describe, expect, it } from 'vitest';
import { NODE_DEFINITIONS } from '../../nodes';
import { paletteRank, rankByQuery, searchRank, titleRank, type Searchable } from '../../src/ui/search-rank';

// the palette's catalog as the engine lists it (api.catalog()), in the registry's order
const catalog: Searchable[] = NODE_DEFINITIONS.map((d) => ({
  type: d.type,
  title: d.title,
  description: d.description,
  family: d.type.split('/')[0]!,
  inputs: d.inputs,
  outputs: d.outputs,
}));
const ranked = (query: string) => rankByQuery(catalog, (n) => paletteRank(n, query)).map((n) => n.type);

describe('the palette search', () => {
  it.each([
    ['decode', 'diffusion/decode'],
    ['Decode', 'diffusion/decode'],
    ['prompt', 'text/prompt'],
    ['clip', 'clip/text-encode'],
    ['text enc', 'clip/text-encode'],
    ['upsample', 'diffusion/upsample'],
    ['seed', 'value/seed'],
    ['noise', 'diffusion/noise'],
    ['inpaint', 'diffusion/inpaint'],
    ['prior', 'diffusion/prior'],
    ['load clip', 'clip/load-model'],
    ['dalle', 'dalle/sample'],
    ['slerp', 'embedding/slerp'],
  ])('puts the obvious node first for "%s" (%s)', (query, first) => {
    expect(ranked(query)[0]).toBe(first);
  });

  it('ranks the title before the type, and both before the description', () => {
    // "decode" starts Decode's title, is a word of dVAE decode's, and starts a word in Inpaint's parenthesis only
    const order = ranked('decode');
    expect(order.indexOf('diffusion/decode')).toBeLessThan(order.indexOf('dalle/decode'));
    expect(order.indexOf('dalle/decode')).toBeLessThan(order.indexOf('diffusion/inpaint'));
    const decode = catalog.find((n) => n.type === 'diffusion/decode')!;
    const inpaint = catalog.find((n) => n.type === 'diffusion/inpaint')!;
    expect(paletteRank(decode, 'decode')).toBeLessThan(paletteRank(inpaint, 'decode')!);
  });

  it('finds a node by its type, then by its description or port types, after every title match', () => {
    // no title says "latent": CLIP search's type (guide/clip-latent) does, then Noise's description and port type
    const order = ranked('latent');
    expect(order.indexOf('guide/clip-latent')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('guide/clip-latent')).toBeLessThan(order.indexOf('diffusion/noise'));
    const cmaes = ranked('cma-es');
    expect(cmaes).toEqual(expect.arrayContaining(['guide/clip-draw', 'guide/clip-latent']));
  });

  it('keeps the registry order among equal matches, and every node for an empty query', () => {
    expect(ranked('')).toEqual(catalog.map((n) => n.type));
    const loads = ranked('load');
    expect(loads.slice(0, 4)).toEqual(catalog.filter((n) => n.title.startsWith('Load ')).map((n) => n.type));
  });

  it('offers nothing for a query nothing holds', () => {
    expect(ranked('zzzz')).toEqual([]);
  });
});

describe('the title-first search (the Examples menu too)', () => {
  it('puts a title that names the query before a description that only holds it', () => {
    const glide = searchRank('Text to image, GLIDE-style', [['the decoder, classifier-free guidance']], 'classif');
    const zeroShot = searchRank('Zero-shot classification', [["CLIP's zero-shot recipe"]], 'classif');
    expect(zeroShot).toBe(titleRank('Zero-shot classification', 'classif'));
    expect(zeroShot).toBeLessThan(glide!);
    expect(searchRank('Inpaint', [['regenerates a rectangle']], 'nothing here')).toBeNull();
  });

  it('ranks the title itself, then its start, then its words, then anywhere in it', () => {
    const ranks = ['Decode', 'Decode (unCLIP decoder)', 'dVAE decode', "CLIP search in the decoder's noise"].map((t) =>
      titleRank(t, 'decode'),
    );
    expect(ranks).toEqual([0, 1, 2, 3]);
    expect(titleRank('Inpaint (unCLIP decoder)', 'decode')).toBe(4);
    expect(titleRank('Inpaint', 'paint')).toBe(5);
    expect(titleRank('Load DALL·E', 'dalle')).toBe(2);
  });
});
