/** The cascade's diffusion upsamplers (32 -> 64, 64 -> 256): sizes from the manifest, sampled by DDIM. */
import { float32, type Float32Tensor } from '../../tensor/tensor';
import { ddimSample } from '../samplers/ddim';
import { ModelError, type DiffusionSpec, type ModelEntry } from '../runtime/manifest';
import type { ModelSession } from '../runtime/runtime';
import { timestepInput } from '../samplers/scheduler-config';
import { ddimCommon, type SampleCommon } from './unclip';

/**
 * An upsampler's picture sides, from its manifest entry: it reads `low_res` [N, 3, low, low] and samples `x_t`
 * [N, 3, high, high] (the bundled ones: 32 -> 64 and 64 -> 256). Either side not fixed and square is a ModelError.
 */
export function upsamplerSides(entry: ModelEntry): { low: number; high: number } {
  const side = (name: string) => {
    const shape = entry.inputs.find((i) => (i.role ?? i.name) === name)?.shape;
    if (!shape || shape.length !== 4 || typeof shape[2] !== 'number' || shape[2] !== shape[3])
      throw new ModelError(
        entry.id,
        `an upsampler's input "${name}" must be [batch, 3, side, side] with a fixed side, the manifest has ` +
          (shape ? `[${shape.join(', ')}]` : 'no such input'),
      );
    return shape[2];
  };
  return { low: side('low_res'), high: side('x_t') };
}

/** The upsampler: low-res [N, 3, low, low] in [-1, 1] -> [N, 3, high, high] (upsamplerSides). */
export async function sampleUpsampler(
  session: ModelSession,
  spec: DiffusionSpec,
  lowRes: Float32Tensor,
  o: Omit<SampleCommon, 'guidance'>,
): Promise<Float32Array> {
  const n = lowRes.shape[0]!;
  const { low, high } = upsamplerSides(session.entry);
  if (lowRes.shape[2] !== low || lowRes.shape[3] !== low)
    throw new ModelError(session.entry.id, `takes ${low}x${low} pictures, got ${lowRes.shape[3]}x${lowRes.shape[2]}`);
  return ddimSample({
    ...ddimCommon(spec, session.entry, o),
    rows: n,
    model: async (xT, t) =>
      (
        await session.run({
          x_t: float32([n, 3, high, high], xT),
          timestep: timestepInput(session.entry, n, t),
          low_res: lowRes,
        })
      )[session.entry.outputs[0]!.name]!.data as Float32Array,
  });
}
