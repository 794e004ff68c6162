import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { string } from '../../src/node-api';

export default defineNode({
  type: 'text/lines',
  version: 1,
  title: 'Text lines',
  description: 'Several texts, one per line (labels, captions); blank lines are skipped',
  inputs: {},
  outputs: { text: 'Text' },
  params: {
    text: string({ default: 'circle\nsquare\ntriangle\ncross', multiline: true, maxLength: 20000, label: 'Lines' }),
  },
  run: (_, { text }, ctx) => {
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (lines.length === 0) throw new NodeError(ctx.nodeId, 'has no lines of text', 'params.text');
    return { text: lines };
  },
});
