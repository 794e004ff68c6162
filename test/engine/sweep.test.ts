import { decode as decodePng, encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { NodeInfo } from '../../src/engine/api';
import { parseGridAxis } from '../../src/engine/grid';
import {
  embedSweep,
  extractSweep,
  imageSinks,
  pointSets,
  sweepJobs,
  sweepLayout,
  sweepSize,
  typedValue,
  PNG_SWEEP_KEYWORD,
} from '../../src/engine/sweep';
import { sweepSheetPng } from '../../src/engine/sweep-sheet';
import { embedText, extractGraph, PngGraphError } from '../../src/graph/png-graph';

const axis = (raw: string) => parseGridAxis(raw, () => 'a red circle\na blue, square\n');
const seed = axis('seed.value=1..2');
const guidance = axis('decoder.guidance=1,3,8');
const blank = () => encodePng({ width: 2, height: 2, data: new Uint8Array(12), channels: 3, depth: 8 });

const catalog = new Map<string, NodeInfo>([
  ['value/seed', { type: 'value/seed', params: { value: { kind: 'seed', default: 0 } }, outputs: { value: 'Number' } }],
  [
    'diffusion/decode',
    {
      type: 'diffusion/decode',
      params: {
        guidance: { kind: 'number', min: 0, max: 20, step: 0.1, default: 3 },
        method: { kind: 'enum', options: ['ddim', 'ddpm'], default: 'ddim' },
      },
      outputs: { image: 'Image', trajectory: 'Image', noise: 'Latent' },
    },
  ],
] as unknown as Array<[string, NodeInfo]>);
const nodeTypes = new Map([
  ['seed', 'value/seed'],
  ['decoder', 'diffusion/decode'],
]);

describe("a sweep's jobs", () => {
  it('are the queue payloads of the grid points, the first axis varying slowest', () => {
    const jobs = sweepJobs('{"graph":1}', [seed, guidance]);
    expect(jobs).toHaveLength(6);
    expect(sweepSize([seed, guidance])).toBe(6);
    expect(jobs.every((j) => j.graph === '{"graph":1}')).toBe(true);
    expect(jobs.map((j) => j.params)).toEqual([
      { 'seed.value': '1', 'decoder.guidance': '1' },
      { 'seed.value': '1', 'decoder.guidance': '3' },
      { 'seed.value': '1', 'decoder.guidance': '8' },
      { 'seed.value': '2', 'decoder.guidance': '1' },
      { 'seed.value': '2', 'decoder.guidance': '3' },
      { 'seed.value': '2', 'decoder.guidance': '8' },
    ]);
    expect(pointSets(jobs[4]!.params)).toEqual([
      { nodeId: 'seed', param: 'value', value: '2', raw: 'seed.value=2' },
      { nodeId: 'decoder', param: 'guidance', value: '3', raw: 'decoder.guidance=3' },
    ]);
  });

  it("checks a value against its param's kind and range, naming the node, param and value", () => {
    expect(typedValue(catalog, nodeTypes, 'seed', 'value', '7')).toEqual({ value: 7 });
    expect(typedValue(catalog, nodeTypes, 'decoder', 'guidance', '2.5')).toEqual({ value: 2.5 });
    expect(typedValue(catalog, nodeTypes, 'decoder', 'guidance', '50')).toEqual({
      error: 'decoder.guidance: "50" is outside 0..20',
    });
    expect(typedValue(catalog, nodeTypes, 'decoder', 'guidance', 'lots')).toMatchObject({
      error: expect.stringMatching(/^decoder\.guidance: "lots" is not a number/),
    });
    expect(typedValue(catalog, nodeTypes, 'seed', 'value', '1.5')).toEqual({
      error: 'seed.value: "1.5" is not an integer',
    });
    expect(typedValue(catalog, nodeTypes, 'decoder', 'method', 'euler')).toEqual({
      error: 'decoder.method: "euler" is not one of "ddim", "ddpm"',
    });
    expect(typedValue(catalog, nodeTypes, 'ghost', 'value', '1')).toEqual({
      error: 'node "ghost" is not in the graph',
    });
    expect(typedValue(catalog, nodeTypes, 'seed', 'steps', '1')).toEqual({
      error: 'node "seed" (value/seed) has no param "steps"',
    });
  });

  it("show the image outputs of the graph's last nodes", () => {
    const nodes = [
      { id: 'seed', type: 'value/seed' },
      { id: 'decoder', type: 'diffusion/decode', inputs: { seed: 'seed.value' } },
    ];
    expect(imageSinks(nodes, catalog)).toEqual([{ nodeId: 'decoder', ports: ['image', 'trajectory'] }]);
  });
});

describe("a sweep's grid", () => {
  it('has the first axis as rows and every combination of the others as columns', () => {
    expect(sweepLayout([seed, guidance])).toEqual({
      rows: ['1', '2'],
      cols: ['1', '3', '8'],
      rowTitle: 'seed.value',
      colTitle: 'decoder.guidance',
    });
    expect(sweepLayout([guidance])).toEqual({
      rows: [''],
      cols: ['1', '3', '8'],
      rowTitle: '',
      colTitle: 'decoder.guidance',
    });
    const eta = axis('decoder.eta=0,1');
    expect(sweepLayout([seed, guidance, eta]).cols).toEqual([
      'guidance=1 eta=0',
      'guidance=1 eta=1',
      'guidance=3 eta=0',
      'guidance=3 eta=1',
      'guidance=8 eta=0',
      'guidance=8 eta=1',
    ]);
  });

  it('saves as one PNG with labelled axes that carries the graph and the sweep', () => {
    const red = {
      width: 2,
      height: 2,
      channels: 4 as const,
      data: new Uint8Array(16).fill(255).map((v, i) => (i % 4 === 1 || i % 4 === 2 ? 0 : v)),
    };
    const cells = [
      { status: 'done' as const, tile: red },
      { status: 'done' as const, tile: red },
      { status: 'cancelled' as const },
      { status: 'cancelled' as const },
      { status: 'cancelled' as const },
      { status: 'cancelled' as const },
    ];
    const graph = '{"format":"unclip-studio/graph","version":1,"nodes":[]}';
    const png = sweepSheetPng([seed, guidance], cells, graph);
    expect(extractGraph(png)).toBe(graph);
    expect(extractSweep(png)).toEqual([
      { nodeId: 'seed', param: 'value', values: ['1', '2'], raw: 'seed.value=1,2' },
      { nodeId: 'decoder', param: 'guidance', values: ['1', '3', '8'], raw: 'decoder.guidance=1,3,8' },
    ]);
    const img = decodePng(png);
    expect(img.width).toBeGreaterThan(3 * 128);
    expect(img.height).toBeGreaterThan(2 * 128);
    const px = (x: number, y: number) => [...img.data.slice((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
    // the first cell is red, a cancelled one grey, and the labels drew dark pixels above and left of the cells
    const colours = new Set<string>();
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) colours.add(px(x, y).join(','));
    expect(colours).toContain('255,0,0');
    expect(colours).toContain('215,215,215');
    expect(colours).toContain('30,30,30');
  });

  it('keeps values with commas (a file of prompts) whole through the PNG', () => {
    const prompts = axis('prompt.text=@prompts.txt');
    expect(prompts.values).toEqual(['a red circle', 'a blue, square']);
    expect(extractSweep(embedSweep(blank(), [prompts]))![0]!.values).toEqual(['a red circle', 'a blue, square']);
    expect(extractSweep(blank())).toBeNull();
  });

  it('refuses a PNG whose sweep is broken, saying what is wrong', () => {
    const withSweep = (text: string) => embedText(blank(), PNG_SWEEP_KEYWORD, text);
    const bad: Array<[string, RegExp]> = [
      ['not json', /is not JSON/],
      ['{"format":"unclip-studio/sweep","version":2,"axes":[]}', /version 1/],
      ['{"format":"unclip-studio/sweep","version":1,"axes":[]}', /1 to 8 axes/],
      ['{"format":"unclip-studio/sweep","version":1,"axes":[{"node":"a b","param":"c","values":["1"]}]}', /axis 1/],
      [
        '{"format":"unclip-studio/sweep","version":1,"axes":[{"node":"a","param":"c","values":[1]}]}',
        /a\.c has no list/,
      ],
      [
        JSON.stringify({
          format: 'unclip-studio/sweep',
          version: 1,
          axes: [0, 1, 2].map((i) => ({ node: `n${i}`, param: 'p', values: Array.from({ length: 100 }, String) })),
        }),
        /over 100000 points/,
      ],
    ];
    for (const [text, message] of bad) expect(() => extractSweep(withSweep(text))).toThrow(message);
    expect(() => extractSweep(withSweep('x'))).toThrow(PngGraphError);
    // a sweep that inflates past its cap is refused, not read whole
    expect(() => extractSweep(withSweep('x'.repeat(2 * 1024 * 1024)))).toThrow(/inflates to over/);
  });
});
