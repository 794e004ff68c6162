import type { RunContext } from '../../src/engine/define';
import type { ClipModelRef } from '../../src/models/clip';
import type { ModelRuntime } from '../../src/models/runtime';
import { modelsOf } from './models';

/** The runtime a CLIP ref was loaded from (bundled, or an external manifest). */
export async function runtimeFor(ctx: RunContext, clip: ClipModelRef): Promise<ModelRuntime> {
  const bundled = modelsOf(ctx);
  const manifest = typeof clip.manifest === 'string' ? clip.manifest : '';
  return manifest ? bundled.external(manifest, ctx.services.readBytes) : bundled;
}
