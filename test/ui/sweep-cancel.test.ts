/**
 * A sweep's Cancel is never lost (review 5): the engine's cancel stops only a run in progress, so a Cancel that
 * lands while a point's graph is loaded and its params set must be seen before that point runs.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeInfo } from '../../src/engine/api';
import { CURRENT_VERSION, GRAPH_FORMAT, type GraphDocument } from '../../src/graph/document';

const calls: string[] = [];
/** What the engine does when the sweep loads the graph for its n-th time (1: the check before the first point). */
let onLoad: (n: number) => Promise<void> = async () => undefined;
let loads = 0;
const engine = {
  loadGraph: async () => {
    calls.push('loadGraph');
    await onLoad(++loads);
    return { ok: true };
  },
  setParam: async () => void calls.push('setParam'),
  run: async () => {
    calls.push('run');
    return { ok: true, cancelled: false, nodes: { pic: { status: 'done' } } };
  },
  // as the engine's: a cancel with no run in progress stops nothing
  cancel: async () => void calls.push('cancel'),
  imagePreview: async () => undefined,
};
vi.mock('../../src/ui/engine-client', () => ({ getEngine: () => engine, openingSettled: async () => undefined }));
vi.mock('../../src/ui/run-history', () => ({ recordRun: async () => undefined }));

const { cancelSweep, runSweep } = await import('../../src/ui/sweep-run');
const { useSweep, newAxis } = await import('../../src/ui/sweep-state');
const { useEditor } = await import('../../src/ui/store');

const catalog = new Map([
  ['value/seed', { type: 'value/seed', params: { value: { kind: 'seed', default: 0 } }, inputs: {}, outputs: {} }],
  ['test/picture', { type: 'test/picture', params: {}, inputs: {}, outputs: { image: 'Image' } }],
] as unknown as Array<[string, NodeInfo]>);
const doc: GraphDocument = {
  format: GRAPH_FORMAT,
  version: CURRENT_VERSION,
  nodes: [
    { id: 'seed', type: 'value/seed', params: { value: 1 } },
    { id: 'pic', type: 'test/picture', params: {} },
  ],
};

describe('cancelling a sweep', () => {
  beforeEach(() => {
    calls.length = 0;
    loads = 0;
    useEditor.setState({ doc, catalog, running: false });
    useSweep.setState({ run: null, axes: [newAxis('seed.value', '1..3')] });
  });

  it('a Cancel while the first point is loaded and set runs nothing; every cell says cancelled', async () => {
    // the point's loadGraph (the second: the first checks the values) is where the user clicks Cancel
    onLoad = async (n) => {
      if (n === 2) await cancelSweep();
    };
    await runSweep();
    expect(calls).toContain('cancel');
    expect(calls).not.toContain('run');
    expect(useSweep.getState().run?.cells.map((c) => c.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('a Cancel while the second point is set lets the first stand and runs no more', async () => {
    onLoad = async (n) => {
      if (n === 3) await cancelSweep();
    };
    await runSweep();
    expect(calls.filter((c) => c === 'run')).toHaveLength(1);
    expect(useSweep.getState().run?.cells.map((c) => c.status)).toEqual(['done', 'cancelled', 'cancelled']);
  });
});
