import type { RunContext } from '../../src/engine/define';
import type { ModelRuntime } from '../../src/models/runtime';
import { modelsOf } from './models';

/** The runtime a model ref was loaded from: the bundled models, or the external manifest it names. */
export async function runtimeFor(ctx: RunContext, ref: { [key: string]: unknown }): Promise<ModelRuntime> {
  const bundled = modelsOf(ctx);
  const manifest = typeof ref.manifest === 'string' ? ref.manifest : '';
  return manifest ? bundled.external(manifest, ctx.services.readBytes) : bundled;
}
