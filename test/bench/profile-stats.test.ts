import { describe, expect, it } from 'vitest';
import { OTHER, parsePrinted, summarizeProfile, type ProfileEvent } from '../../bench/profile-stats';

const call = (ts: number, dur: number): ProfileEvent => ({ cat: 'Session', name: 'model_run', ts, dur });
const op = (ts: number, dur: number, name: string): ProfileEvent => ({
  cat: 'Node',
  name: `/${name}_kernel_time`,
  ts,
  dur,
  args: { op_name: name },
});

describe('the per-op profile helpers', () => {
  it('averages the last graph run’s calls by op group, leaving out the cold calls before them', () => {
    const events = [
      call(0, 9000), // the first graph run: cold, left out
      op(10, 8000, 'Conv'),
      call(10_000, 3000), // the last graph run: two calls
      op(10_010, 2000, 'Conv'),
      op(12_010, 400, 'QuickGelu'),
      op(12_410, 100, 'Add'),
      call(20_000, 1000),
      op(20_010, 600, 'FusedMatMul'),
      op(20_610, 200, 'Reshape'),
      { cat: 'Session', name: 'SequentialExecutor::Execute', ts: 20_000, dur: 990 },
    ];
    const p = summarizeProfile(events, 2);
    expect(p.calls).toBe(2);
    expect(p.callMs).toBe(2); // (3 + 1) ms over two calls
    expect(p.groups).toEqual({
      Conv: 1,
      'activations, norms': 0.2,
      'MatMul, FusedMatMul, Gemm': 0.3,
      [OTHER]: 0.15,
    });
  });

  it('reads the events onnxruntime-web prints one a line and skips what is not an event', () => {
    const printed =
      '2026-12-07 [I:onnxruntime] a log line\n[\n' +
      '{"cat" : "Node","name" :"/c/Conv_kernel_time","ts" :5,"dur" :7,"args" : {"op_name" : "Conv"}},\n' +
      '{"cat" : "Session","name" :"model_run","ts" :1,"dur" :20,"args" : {}}\n]\n{not json\n';
    expect(parsePrinted(printed)).toEqual([
      { cat: 'Node', name: '/c/Conv_kernel_time', ts: 5, dur: 7, args: { op_name: 'Conv' } },
      { cat: 'Session', name: 'model_run', ts: 1, dur: 20, args: {} },
    ]);
  });
});
