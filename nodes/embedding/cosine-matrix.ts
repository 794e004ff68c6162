import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { cosineMatrix } from '../../src/tensor/vector';

export default defineNode({
  type: 'embedding/cosine-matrix',
  version: 1,
  title: 'Cosine matrix',
  description: 'Cosine similarity of every row of a with every row of b (b defaults to a)',
  inputs: {
    a: 'Embedding',
    b: { type: 'Embedding', optional: true },
    rowLabels: { type: 'Text', optional: true },
    columnLabels: { type: 'Text', optional: true },
  },
  outputs: { matrix: 'Scores' },
  params: {},
  run: ({ a, b, rowLabels, columnLabels }, _, ctx) => {
    const right = b ?? a;
    if (a.shape[1] !== right.shape[1])
      throw new NodeError(ctx.nodeId, `embeddings differ in dimension: ${a.shape[1]} vs ${right.shape[1]}`, 'inputs.b');
    const values = cosineMatrix(a, right);
    const [n, m] = values.shape as [number, number];
    const rows = rowLabels ?? Array.from({ length: n }, (_, i) => `a${i}`);
    const cols = columnLabels ?? (b ? Array.from({ length: m }, (_, i) => `b${i}`) : rows);
    if (rows.length !== n)
      throw new NodeError(ctx.nodeId, `${rows.length} row labels for ${n} rows`, 'inputs.rowLabels');
    if (cols.length !== m)
      throw new NodeError(ctx.nodeId, `${cols.length} column labels for ${m} columns`, 'inputs.columnLabels');
    return { matrix: { values, labels: cols, rowLabels: rows } };
  },
});
