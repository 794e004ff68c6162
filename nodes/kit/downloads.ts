import { NodeError } from '../../src/node-api';
import type { RunContext } from '../../src/node-api/define';
import { downloadFraction, downloadLabel } from '../../src/models/runtime/download-progress';
import { sizeRefusal } from '../../src/models/runtime/model-limit';
import { isModelFolder } from '../../src/models/runtime/published-layout';
import type { ModelRuntime } from '../../src/models/runtime/runtime';

/**
 * Runs a loader's work with the downloads of its model's files shown on the node ("downloading 12 / 151 MB"),
 * where the host reports downloads (the browser); `manifest` is the loader's param ('' = the bundled models),
 * `model` the id said when the model is too big for the browser.
 */
export async function withDownloads<T>(ctx: RunContext, manifest: string, model: string, fn: () => Promise<T>) {
  const stop = ctx.services.downloads?.watch(manifest, model, (p) =>
    ctx.progress(downloadFraction(p), { label: downloadLabel(p) }),
  );
  try {
    return await fn();
  } finally {
    stop?.();
  }
}

/**
 * Refuses a model whose files, as its manifest gives their sizes, are more than the host can hold, before any of
 * them is downloaded (the browser: model-limit.ts). A model folder's sizes are known only as its files are reached:
 * the byte reader refuses those, each before its bytes are held (a URL folder's from the response's length, the
 * model cache; a picked folder's from the file's size, picked-folders.ts).
 */
export function refuseTooBig(
  ctx: RunContext,
  { manifest, model }: { manifest: string; model: string },
  runtime: ModelRuntime,
  ids: string[],
): void {
  const limit = ctx.services.downloads?.limit();
  if (!limit || isModelFolder(manifest)) return;
  // an ONNX file above 2 GB keeps its weights in external data files: they are downloaded and held too
  const bytesOf = (id: string) => {
    const e = runtime.entry(id);
    return e.bytes + (e.externalData ?? []).reduce((sum, d) => sum + d.bytes, 0);
  };
  const bytes = [...new Set(ids)].reduce((sum, id) => sum + bytesOf(id), 0);
  const why = sizeRefusal(model, bytes, limit);
  if (why) throw new NodeError(ctx.nodeId, why, 'params.model');
}
