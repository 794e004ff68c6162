import type { RunContext } from '../../src/node-api/define';
import type { ModelRef } from '../../src/node-api/values';
import { NodeError } from '../../src/node-api';
import { article } from '../../src/node-api';
import type { ClipModelRef } from '../../src/models/pipelines/clip';
import type { ModelRuntime } from '../../src/models/runtime/runtime';

/** The host's model runtime, or a clear error naming the node. */
export function modelsOf(ctx: RunContext): ModelRuntime {
  const m = ctx.services.models;
  if (!m) throw new NodeError(ctx.nodeId, 'no models are available here (public/models/manifest.json is missing)');
  return m;
}

/** A CLIP model from a Model edge, or an error naming the port. */
export function clipOf(ctx: RunContext, model: ModelRef, port = 'model'): ClipModelRef {
  if (model.kind !== 'clip')
    throw new NodeError(
      ctx.nodeId,
      `needs a CLIP model, got ${article(model.kind)} ${model.kind} model ("${model.id}")`,
      `inputs.${port}`,
    );
  return model as ClipModelRef;
}

/** Runs model code, turning its errors into node errors (the message names the model). */
export async function withNode<T>(ctx: RunContext, field: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof NodeError) throw e;
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new NodeError(ctx.nodeId, (e as Error).message, field);
  }
}
