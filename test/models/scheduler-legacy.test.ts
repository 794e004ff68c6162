import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ddimInvert, ddimSample } from '../../src/models/samplers/ddim';
import { legacySchedulerConfig } from '../../src/models/samplers/scheduler-config';
import * as c from './ddim-legacy-cases';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/samplers/ddim-before-scheduler-config.json', import.meta.url), 'utf8'),
) as { cases: Record<string, { result: number[]; timesteps: number[] }> };

describe('the bundled models sampled through their scheduler config', () => {
  it('cover every legacy case recorded before the config existed', () => {
    expect(Object.keys(fixture.cases).sort()).toEqual(c.LEGACY_CASES.map((k) => k.name).sort());
  });

  it.each(c.LEGACY_CASES.map((k) => [k.name, k] as const))(
    '%s: the same bits and timesteps as the sampler before the scheduler config',
    async (name, k) => {
      const timesteps: number[] = [];
      const model = async (x: Float32Array, t: number) => (timesteps.push(t), c.syntheticModel(x, t));
      const scheduler = legacySchedulerConfig({ trainSteps: 1000, parameterization: k.parameterization }, k.clip);
      const r = k.invert
        ? await ddimInvert({ scheduler, steps: k.steps, model, x0: c.source() })
        : await ddimSample({
            scheduler,
            steps: k.steps,
            eta: k.eta,
            xT: c.xT(),
            model,
            noise: c.etaNoise,
            known: k.known
              ? { x0: c.source(), mask: c.mask(), noise: c.knownNoise, resample: k.known.resample }
              : undefined,
            pinX0: k.pin ? { x0: c.source(), mask: c.mask() } : undefined,
            gradient: k.gradient ? { scale: k.gradient, at: c.syntheticGradient } : undefined,
          });
      expect(Array.from(r)).toEqual(fixture.cases[name]!.result);
      expect(timesteps).toEqual(fixture.cases[name]!.timesteps);
    },
  );
});
