import { describe, expect, it } from 'vitest';
import { ddimSample } from '../../src/models/samplers/ddim';
import { legacySchedulerConfig } from '../../src/models/samplers/scheduler-config';

/** A model whose every step takes ~2 ms and resolves without giving the event loop a turn (as WASM steps can). */
const busyModel = async (x: Float32Array) => {
  const until = performance.now() + 2;
  while (performance.now() < until);
  return new Float32Array(x.length);
};

describe('DDIM and a cancel', () => {
  it('sees an abort sent as a task (a message, a timer) during sampling, not after its last step', async () => {
    const controller = new AbortController();
    let steps = 0;
    setTimeout(() => controller.abort(new Error('cancelled')), 100);
    const t0 = performance.now();
    await expect(
      ddimSample({
        scheduler: legacySchedulerConfig({ trainSteps: 1000, parameterization: 'eps' }, false),
        steps: 1000,
        eta: 0,
        xT: new Float32Array(4),
        noise: () => new Float32Array(4),
        model: busyModel,
        onStep: () => steps++,
        signal: controller.signal,
      }),
    ).rejects.toThrow('cancelled');
    // 1000 steps take ~2 s; the abort lands a few steps after its 100 ms
    expect(steps).toBeLessThan(500);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
