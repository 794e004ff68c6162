import { describe, expect, it } from 'vitest';
import { ddimInvert, ddimSample, type DdimOptions } from '../../src/models/samplers/ddim';
import { guide } from '../../src/models/samplers/guidance';
import { clampX0, toX0Eps } from '../../src/models/samplers/parameterization';
import { cosineAlphasCumprod, ddimTimesteps } from '../../src/models/samplers/schedule';
import { legacySchedulerConfig } from '../../src/models/samplers/scheduler-config';
import { gaussianArray } from '../../src/tensor/prng';

type Param = 'eps' | 'v' | 'x0';
/** A bundled model's config (the manifest's older fields), x0 clamped to [-1, 1] with eps re-derived when `clip`. */
const config = (parameterization: Param, clip = false) =>
  legacySchedulerConfig({ trainSteps: 1000, parameterization }, clip);
const alphas = cosineAlphasCumprod(1000);

/** DDIM at eta 0 on this parameterization: deterministic (the eta term's noise, zeros here, goes unused). */
const sampleEta0 = (param: Param, o: Omit<DdimOptions, 'scheduler' | 'eta' | 'noise'> & { clip?: boolean }) =>
  ddimSample({ ...o, scheduler: config(param, o.clip), eta: 0, noise: () => new Float32Array(o.xT.length) });

/** A perfect denoiser for data that is always `target`: returns the output its parameterization asks for. */
function oracle(target: Float32Array, param: Param) {
  return async (xT: Float32Array, t: number) => {
    const a = alphas[t]!,
      sa = Math.sqrt(a),
      sb = Math.sqrt(1 - a);
    return xT.map((x, i) => {
      const x0 = target[i]!,
        eps = (x - sa * x0) / sb;
      return param === 'x0' ? x0 : param === 'eps' ? eps : sa * eps - sb * x0;
    });
  };
}

describe('DDIM', () => {
  it('uses the cosine schedule: alpha-bar falls from ~1 to ~0', () => {
    expect(alphas[0]).toBeGreaterThan(0.9999);
    expect(alphas[999]).toBeLessThan(1e-4);
    for (let i = 1; i < 1000; i++) expect(alphas[i]!).toBeLessThan(alphas[i - 1]!);
  });

  it('spaces S timesteps from T - 1 down to 0', () => {
    expect(ddimTimesteps(1000, 5)).toEqual([999, 749, 500, 250, 0]);
    expect(ddimTimesteps(1000, 1)).toEqual([999]);
    expect(() => ddimTimesteps(1000, 0)).toThrow(/steps must be 1\.\.1000/);
  });

  it('converts v, eps and x0 outputs into the same x0 and eps', () => {
    const a = alphas[400]!,
      x0 = Float32Array.of(0.3, -0.7),
      eps = Float32Array.of(1.2, -0.4);
    const xt = x0.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[i]!);
    const v = eps.map((e, i) => Math.sqrt(a) * e - Math.sqrt(1 - a) * x0[i]!);
    for (const [param, out] of [
      ['v_prediction', v],
      ['epsilon', eps],
      ['sample', x0],
    ] as const) {
      const r = toX0Eps(param, xt, out, a);
      for (let i = 0; i < 2; i++) {
        expect(r.x0[i]).toBeCloseTo(x0[i]!, 5);
        expect(r.eps[i]).toBeCloseTo(eps[i]!, 5);
      }
    }
  });

  it.each(['v', 'eps', 'x0'] as const)(
    'with a perfect %s-model, eta = 0 sampling lands on the data from any noise',
    async (param) => {
      const target = Float32Array.of(0.5, -0.25, 0.8, 0);
      const x = await sampleEta0(param, { steps: 10, xT: gaussianArray(3, 4), model: oracle(target, param) });
      for (let i = 0; i < 4; i++) expect(x[i]).toBeCloseTo(target[i]!, 4);
    },
  );

  it(
    'with x0 clamped, eps is re-derived from the clamped x0 (GLIDE): a model overshooting the range walks the ' +
      'path of a perfect model of the clamped data',
    async () => {
      const recorded = (model: (x: Float32Array, t: number) => Promise<Float32Array>) => {
        const inputs: number[][] = [];
        return {
          inputs,
          model: async (x: Float32Array, t: number) => {
            inputs.push(Array.from(x));
            return model(x, t);
          },
        };
      };
      const over = recorded(oracle(Float32Array.of(1.5, -2, 0.25), 'v')),
        exact = recorded(oracle(Float32Array.of(1, -1, 0.25), 'v'));
      const common = { scheduler: config('v', true), steps: 6, eta: 0, noise: () => new Float32Array(3) };
      const a = await ddimSample({ ...common, xT: gaussianArray(9, 3), model: over.model });
      const b = await ddimSample({ ...common, xT: gaussianArray(9, 3), model: exact.model });
      expect(over.inputs).toHaveLength(6);
      over.inputs.forEach((x, i) => x.forEach((v, k) => expect(v).toBeCloseTo(exact.inputs[i]![k]!, 4)));
      expect(Array.from(a)).toEqual(Array.from(b));
      // and the pair a step uses is consistent: x_t = sqrt(a) x0 + sqrt(1 - a) eps
      const at = alphas[500]!,
        xt = Float32Array.of(2.5, -0.3),
        x0 = Float32Array.of(3, -0.2),
        eps = Float32Array.of(0, 0);
      clampX0(xt, x0, eps, at, 1);
      expect(Array.from(x0)).toEqual([1, Math.fround(-0.2)]);
      for (let i = 0; i < 2; i++) expect(Math.sqrt(at) * x0[i]! + Math.sqrt(1 - at) * eps[i]!).toBeCloseTo(xt[i]!, 5);
    },
  );

  it('eta > 0 draws fresh noise each step but still converges to the data under a perfect model', async () => {
    const target = Float32Array.of(0.1, 0.2);
    let calls = 0;
    const x = await ddimSample({
      scheduler: config('v'),
      steps: 8,
      eta: 1,
      xT: gaussianArray(4, 2),
      model: oracle(target, 'v'),
      noise: (s) => {
        calls++;
        return gaussianArray(100 + s, 2);
      },
    });
    expect(calls).toBeGreaterThan(0);
    expect(x[0]).toBeCloseTo(0.1, 4);
  });

  it('inversion then eta = 0 sampling reconstructs the input (the map runs both ways)', async () => {
    // the ideal denoiser for Gaussian data N(0, s^2): x0 = sqrt(a) s^2 / (a s^2 + 1 - a) x_t, a smooth map of x_t
    const s2 = 0.25;
    const model = async (x: Float32Array, t: number) => {
      const a = alphas[t]!;
      return x.map((v) => ((Math.sqrt(a) * s2) / (a * s2 + 1 - a)) * v);
    };
    const x0 = Float32Array.of(0.4, -0.6, 0.2);
    const xT = await ddimInvert({ scheduler: config('x0'), steps: 100, x0, model });
    expect(Math.abs(xT[0]!)).toBeGreaterThan(0.5); // it went somewhere: x_T is on the noise scale
    const back = await sampleEta0('x0', {
      steps: 100,
      xT: Float32Array.from(xT),
      model,
    });
    // first-order mismatch of DDIM inversion
    for (let i = 0; i < 3; i++) expect(Math.abs(back[i]! - x0[i]!)).toBeLessThan(0.03);
  });

  it('reports each step and stops at an abort between steps', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const run = sampleEta0('v', {
      steps: 20,
      xT: new Float32Array(2),
      model: oracle(new Float32Array(2), 'v'),
      signal: ac.signal,
      onStep: (i) => {
        seen.push(i.step);
        if (i.step === 3) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('classifier-free guidance extrapolates from the unconditional half: u + s (c - u)', () => {
    expect(Array.from(guide(Float32Array.of(1, 2, 3, 6), 3))).toEqual([1 + 3 * 2, 2 + 3 * 4]);
    expect(Array.from(guide(Float32Array.of(1, 2, 3, 6), 1))).toEqual([3, 6]);
  });
});

describe('DDIM with classifier guidance (GLIDE CLIP guidance, epsilon form)', () => {
  it('shifts eps by -s sqrt(1 - abar) grad and re-derives x0 from it at every step', async () => {
    const n = 6,
      g = 0.01,
      s = 2;
    const seen: Array<{ t: number; x0: number[] }> = [];
    const grads: number[] = [];
    await sampleEta0('x0', {
      steps: 5,
      xT: gaussianArray(3, n),
      model: async (x) => new Float32Array(x.length), // predicts x0 = 0, so eps = x_t / sqrt(1 - abar)
      gradient: {
        scale: s,
        at: async (x, t) => {
          grads.push(t);
          return new Float32Array(x.length).fill(g);
        },
      },
      onStep: (info) => seen.push({ t: info.timestep, x0: Array.from(info.x0) }),
    });
    expect(grads).toEqual(ddimTimesteps(1000, 5));
    // x0' = (x_t - sqrt(1 - a) eps') / sqrt(a) with eps' = x_t / sqrt(1 - a) - s sqrt(1 - a) g: s (1 - a) g / sqrt(a)
    for (const { t, x0 } of seen) {
      const a = alphas[t]!;
      for (const v of x0) expect(v).toBeCloseTo((s * (1 - a) * g) / Math.sqrt(a), 3);
    }
  });

  it('changes nothing at scale 0, and refuses a gradient of the wrong size', async () => {
    const x = gaussianArray(4, 8);
    const base = { scheduler: config('v'), steps: 4, eta: 0, noise: () => new Float32Array(8), model: oracle(x, 'v') };
    const plain = await ddimSample({ ...base, xT: gaussianArray(5, 8) });
    let calls = 0;
    const zero = await ddimSample({
      ...base,
      xT: gaussianArray(5, 8),
      gradient: {
        scale: 0,
        at: async () => {
          calls++;
          return gaussianArray(6, 8);
        },
      },
    });
    expect(Array.from(zero)).toEqual(Array.from(plain));
    expect(calls).toBe(0); // scale 0: the guiding model is not run
    await expect(
      ddimSample({ ...base, xT: gaussianArray(5, 8), gradient: { scale: 1, at: async () => new Float32Array(3) } }),
    ).rejects.toThrow(/gradient has 3 values, x_t 8/);
  });
});

describe('DDIM timesteps shared with the training scripts', () => {
  it('are the same in training/models/diffusion.py and the sampler at 1, 7, 25, 50 and 1000 steps', async () => {
    const { execFileSync } = await import('node:child_process');
    const root = new URL('../..', import.meta.url).pathname;
    for (const steps of [1, 7, 25, 50, 1000]) {
      const py = execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import sys, json; from training.models.diffusion import ddim_timesteps; ` +
            `print(json.dumps(ddim_timesteps(1000, ${steps})))`,
        ],
        { cwd: root, encoding: 'utf8' },
      );
      expect(JSON.parse(py)).toEqual(ddimTimesteps(1000, steps));
    }
  });
});

describe('DDIM inpainting by replacement (RePaint)', () => {
  /** A model that always predicts x0 = `fill` (what it would draw), whatever x_t says. */
  const drawer = (fill: number) => async (xT: Float32Array) => new Float32Array(xT.length).fill(fill);
  const source = Float32Array.of(0.9, -0.9, 0.5, -0.5);
  const mask = Float32Array.of(0, 0, 1, 1); // keep the first two, regenerate the rest

  it.each([1, 3])('keeps the source exactly where the mask is 0, draws elsewhere (resample %i)', async (r) => {
    const calls: number[] = [];
    const model = drawer(0.25);
    const x = await sampleEta0('x0', {
      steps: 6,
      xT: gaussianArray(5, 4),
      model: (xT, t) => (calls.push(t), model(xT)),
      known: { x0: source, mask, noise: (step, round) => gaussianArray(100 + 10 * step + round, 4), resample: r },
    });
    expect(Array.from(x.subarray(0, 2))).toEqual(Array.from(source.subarray(0, 2)));
    for (let i = 2; i < 4; i++) expect(x[i]).toBeCloseTo(0.25, 5);
    // every step but the last is taken r times
    expect(calls).toHaveLength(5 * r + 1);
    expect(calls.slice(0, r)).toEqual(Array(r).fill(999));
  });

  it('blends where the mask is between 0 and 1, and each step sees the source noised to its level', async () => {
    const seen: Float32Array[] = [];
    const x = await sampleEta0('x0', {
      steps: 4,
      xT: gaussianArray(6, 4),
      model: async (xT) => (seen.push(Float32Array.from(xT)), new Float32Array(4)),
      known: { x0: source, mask: Float32Array.of(0.5, 0, 1, 1), noise: () => new Float32Array(4), resample: 1 },
    });
    expect(x[0]).toBeCloseTo(0.45, 5); // half the source's 0.9, half the model's 0
    // with zero noise, the kept entries of x_t are sqrt(alpha-bar_t) * source at every step
    const ts = ddimTimesteps(1000, 4);
    seen.forEach((xt, i) => expect(xt[1]).toBeCloseTo(Math.sqrt(alphas[ts[i]!]!) * -0.9, 5));
  });
});

describe('DDIM inpainting as GLIDE samples it (the x0 prediction pinned to the source where it is kept)', () => {
  const source = Float32Array.of(0.9, -0.9, 0.5, -0.5);
  const mask = Float32Array.of(0, 0, 1, 1); // keep the first two, regenerate the rest

  it('calls the model once a step, returns the source where kept and the drawing elsewhere', async () => {
    const calls: number[] = [];
    const x = await sampleEta0('v', {
      steps: 6,
      xT: gaussianArray(5, 4),
      // a model that draws 0.25 everywhere (also where the source is kept)
      model: (xT, t) => (calls.push(t), oracle(new Float32Array(4).fill(0.25), 'v')(xT, t)),
      clip: true,
      pinX0: { x0: source, mask },
    });
    expect(calls).toHaveLength(6);
    expect(Array.from(x.subarray(0, 2))).toEqual(Array.from(source.subarray(0, 2)).map((v) => Math.fround(v)));
    for (let i = 2; i < 4; i++) expect(x[i]).toBeCloseTo(0.25, 5);
  });

  it('keeps x_t on the source where kept: sqrt(abar) source + sqrt(1 - abar) eps of one draw, each step', async () => {
    const seen: Float32Array[] = [];
    const xT = gaussianArray(7, 4);
    await sampleEta0('v', {
      steps: 5,
      xT: Float32Array.from(xT),
      model: async (x, t) => (seen.push(Float32Array.from(x)), oracle(new Float32Array(4).fill(-0.3), 'v')(x, t)),
      clip: true,
      pinX0: { x0: source, mask },
    });
    // the first step's eps for a kept entry is what x_T holds over the source; DDIM (eta 0) carries that eps on
    const ts = ddimTimesteps(1000, 5);
    const a0 = alphas[ts[0]!]!;
    const eps0 = (xT[0]! - Math.sqrt(a0) * source[0]!) / Math.sqrt(1 - a0);
    seen.forEach((xt, i) => {
      const a = alphas[ts[i]!]!;
      expect(xt[0]).toBeCloseTo(Math.sqrt(a) * source[0]! + Math.sqrt(1 - a) * eps0, 4);
    });
  });

  it('refuses a pin of another size than x_t', async () => {
    await expect(
      sampleEta0('v', {
        steps: 2,
        xT: gaussianArray(5, 4),
        model: async (x) => new Float32Array(x.length),
        pinX0: { x0: source.subarray(0, 3), mask },
      }),
    ).rejects.toThrow(/pinX0: the source has 3 values/);
  });
});
