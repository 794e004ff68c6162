import type { RunContext } from '../../src/node-api/define';
import type { Codes, ModelRef } from '../../src/node-api/values';
import { NodeError } from '../../src/node-api';
import { article } from '../../src/node-api';
import type { DalleModelRef, DvaeModelRef } from '../../src/models/pipelines/dalle';

/** A dVAE or DALL·E transformer from a Model edge, or an error naming the port. */
export function dalleRefOf<K extends 'dvae' | 'dalle'>(
  ctx: RunContext,
  model: ModelRef,
  kind: K,
  port: string,
): K extends 'dvae' ? DvaeModelRef : DalleModelRef {
  if (model.kind !== kind) {
    const want = kind === 'dvae' ? 'a dVAE' : 'a DALL·E transformer';
    throw new NodeError(
      ctx.nodeId,
      `needs ${want} model (dalle/load-model's "${kind === 'dvae' ? 'dvae' : 'transformer'}" output), got ` +
        `${article(model.kind)} ${model.kind} model ("${model.id}")`,
      `inputs.${port}`,
    );
  }
  return model as never;
}

/** Checks that codes are a picture grid of this dVAE's codebook. */
export function checkGridCodes(ctx: RunContext, codes: Codes, dvae: DvaeModelRef, port: string): void {
  const { grid, codes: k } = dvae.spec;
  if (codes.grid === undefined)
    throw new NodeError(
      ctx.nodeId,
      'these codes are not a picture grid (they look like PCA codes from embedding/pca-quantize)',
      `inputs.${port}`,
    );
  if (codes.grid !== grid || codes.buckets !== k)
    throw new NodeError(
      ctx.nodeId,
      `the codes are ${codes.grid}x${codes.grid} over ${codes.buckets} codes; the dVAE "${dvae.id}" decodes ` +
        `${grid}x${grid} over ${k}`,
      `inputs.${port}`,
    );
  if (codes.codebook && codes.codebook !== dvae.id)
    throw new NodeError(
      ctx.nodeId,
      `the codes index the codebook of "${codes.codebook}", not of "${dvae.id}"`,
      `inputs.${port}`,
    );
}
