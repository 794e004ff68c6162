import { describe, expect, it } from 'vitest';
import { NODE_DEFINITIONS } from '../../nodes';
import { paletteRank, rankByQuery, type Searchable } from '../../src/ui/palette-rank';

// the palette's catalog as the engine lists it (api.catalog()), in the registry's order
const catalog: Searchable[] = NODE_DEFINITIONS.map((d) => ({
  type: d.type,
  title: d.title,
  description: d.description,
  family: d.type.split('/')[0]!,
  inputs: d.inputs,
  outputs: d.outputs,
}));
const ranked = (query: string) => rankByQuery(catalog, (n) => n, query).map((n) => n.type);

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

  it('finds a node by a word only its description or port types hold, after every title match', () => {
    const order = ranked('cma-es');
    expect(order).toEqual(expect.arrayContaining(['guide/clip-draw', 'guide/clip-latent']));
    const latent = ranked('latent');
    expect(latent).toContain('diffusion/noise'); // outputs a Latent
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
