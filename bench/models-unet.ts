/**
 * The U-Net side of `npm run bench -- models`, one code for Node and the Chromium bench page: our runtime opens the
 * diffusers folder (external(): configs, sha256, the session) and runs one denoising call of the U-Net on a
 * 4 x 64 x 64 latent with 77 x 512 text features. Not through a graph: Decode draws RGB pictures and refuses a
 * latent U-Net (it would need a VAE), so the runtime is called as the sampler calls it (feeds by role).
 */
import type { ModelRuntime, ModelSession } from '../src/models/runtime/runtime';
import { float32, tensor, type Tensor } from '../src/tensor/tensor';

/** Values in [-1, 1) from a small LCG: the same inputs on every side, and new ones per run. */
function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Opens the folder's U-Net through `bundled.external` (the loader node's path); returns it and the ms it took. */
export async function openUnet(
  bundled: ModelRuntime,
  folder: string,
  readBytes: (src: string) => Promise<Uint8Array>,
): Promise<{ session: ModelSession; loadMs: number; runtime: ModelRuntime }> {
  const t0 = performance.now();
  const runtime = await bundled.external(folder, readBytes);
  const id = runtime.manifest.models[0]!.id;
  const session = await runtime.session(id);
  return { session, loadMs: performance.now() - t0, runtime };
}

/** One U-Net call (a DDIM step's model evaluation) on run `run`'s inputs; its ms. */
export async function unetStep(session: ModelSession, run: number): Promise<number> {
  const { entry } = session;
  const x = entry.inputs.find((i) => i.role === 'x_t')!;
  const tok = entry.inputs.find((i) => i.role === 'text_tokens')!;
  const [c, h, w] = x.shape.slice(1) as number[];
  const width = tok.shape[2] as number;
  const feeds: Record<string, Tensor> = {
    x_t: float32([1, c!, h!, w!], noise(c! * h! * w!, run)),
    text_tokens: float32([1, 77, width], noise(77 * width, 1000 + run)),
  };
  const t = entry.inputs.find((i) => i.name === 'timestep')!;
  const step = 999 - 20 * run;
  feeds[t.role ?? t.name] =
    t.dtype === 'int64'
      ? tensor('int64', t.shape.length ? [1] : [], BigInt64Array.of(BigInt(step)))
      : float32(t.shape.length ? [1] : [], [step]);
  const t0 = performance.now();
  const out = await session.run(feeds);
  const ms = performance.now() - t0;
  const y = Object.values(out)[0]!.data as Float32Array;
  if (y.length !== c! * h! * w! || !Number.isFinite(y[0]!)) throw new Error('the U-Net gave no finite output');
  return ms;
}
