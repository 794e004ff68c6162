import { describe, expect, it } from 'vitest';
import type { NodeInfo } from '../../src/engine/api';
import { CURRENT_VERSION, GRAPH_FORMAT, type GraphDocument } from '../../src/graph/document';
import { checkAxes, draftsOf } from '../../src/ui/sweep-run';
import { newAxis } from '../../src/ui/sweep-state';

const catalog = new Map([
  ['value/seed', { type: 'value/seed', params: { value: { kind: 'seed', default: 0 } } }],
  [
    'text/prompt',
    { type: 'text/prompt', params: { text: { kind: 'string', default: '', multiline: true, maxLength: 100 } } },
  ],
  [
    'diffusion/decode',
    { type: 'diffusion/decode', params: { guidance: { kind: 'number', min: 0, max: 20, step: 0.1, default: 3 } } },
  ],
] as unknown as Array<[string, NodeInfo]>);
const doc: GraphDocument = {
  format: GRAPH_FORMAT,
  version: CURRENT_VERSION,
  nodes: [
    { id: 'seed', type: 'value/seed', params: { value: 1 } },
    { id: 'prompt', type: 'text/prompt', params: { text: 'a red circle' } },
    { id: 'decoder', type: 'diffusion/decode', params: {} },
  ],
};

describe("the Sweep panel's axes", () => {
  it('count the runs of their cross product, values typed or from a picked file', () => {
    const r = checkAxes(
      [
        newAxis('seed.value', '1..4'),
        newAxis('prompt.text', '', { name: 'prompts.txt', text: 'a red circle\r\na blue, square\n\n' }),
        newAxis('decoder.guidance', '1,3,8'),
      ],
      doc,
      catalog,
    );
    expect(r.problems).toEqual([]);
    expect(r.runs).toBe(24);
    expect(r.axes[1]!.values).toEqual(['a red circle', 'a blue, square']);
  });

  it('name every problem with its node, param and value', () => {
    const r = checkAxes(
      [
        newAxis('decoder.guidance', '1,99,200'),
        newAxis('seed.value', 'x'),
        newAxis('', '1'),
        newAxis('seed.value', '5..1'),
        newAxis('ghost.value', '1'),
        newAxis('prompt.text', '@notes.txt'),
      ],
      doc,
      catalog,
    );
    expect(r.problems).toEqual([
      'decoder.guidance: "99" is outside 0..20 (and 1 more values)',
      'seed.value: "x" is not a number',
      'an axis names no param: pick one',
      'seed.value: the range 5..1 is empty (1 < 5)',
      'node "ghost" is not in the graph',
      'prompt.text: @notes.txt: pick the file with file… (a page reads only the files picked)',
    ]);
    expect(checkAxes([newAxis('seed.value', '1'), newAxis('seed.value', '2')], doc, catalog).problems).toEqual([
      'seed.value is given twice',
    ]);
    expect(checkAxes([newAxis('seed.value', '1..600')], doc, catalog).problems).toEqual([
      'the grid has 600 points: the editor runs at most 512 ' +
        '(npm run graph -- sweep takes up to 100000, on many machines)',
    ]);
  });

  it('come back from a PNG with a comma-holding value as a file of lines', () => {
    const drafts = draftsOf([
      { nodeId: 'seed', param: 'value', values: ['1', '2'], raw: '' },
      { nodeId: 'prompt', param: 'text', values: ['a red circle', 'a blue, square'], raw: '' },
    ]);
    expect(drafts.map((d) => [d.target, d.text, d.file?.text])).toEqual([
      ['seed.value', '1,2', undefined],
      ['prompt.text', '', 'a red circle\na blue, square'],
    ]);
    expect(checkAxes(drafts, doc, catalog).runs).toBe(4);
  });
});
