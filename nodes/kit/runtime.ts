import { string } from '../../src/node-api';
import type { RunContext } from '../../src/node-api/define';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { modelsOf } from './models';

/** The runtime a model ref was loaded from: the bundled models, or the external manifest or model folder it names. */
export async function runtimeFor(ctx: RunContext, ref: { [key: string]: unknown }): Promise<ModelRuntime> {
  const bundled = modelsOf(ctx);
  const manifest = typeof ref.manifest === 'string' ? ref.manifest : '';
  const dtype = typeof ref.dtype === 'string' ? { dtype: ref.dtype } : {};
  return manifest ? bundled.external(manifest, ctx.services.readBytes, dtype) : bundled;
}

/** The `manifest` param every loader node has: where to load models from besides the bundled ones. */
export const manifestParam = () =>
  string({
    default: '',
    // one line on the node (a second line made every loader overlap the node under it in the examples)
    label: 'Manifest or folder (empty = bundled)',
    description:
      "a manifest's path or URL, a model folder in a published layout, or a Hugging Face repo id " +
      '(org/name@revision); empty: the bundled models',
    maxLength: 2000,
    reference: true,
  });

/** The bundled runtime, or the one over the manifest (or model folder, in the file variant `dtype`) a loader names. */
export async function runtimeOfManifest(ctx: RunContext, manifest: string, dtype?: string): Promise<ModelRuntime> {
  return runtimeFor(ctx, { manifest, dtype });
}
