import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { pcaUnproject } from '../../src/tensor/pca';
import { dequantize } from '../../src/tensor/quantize';

export default defineNode({
  type: 'embedding/pca-dequantize',
  version: 1,
  title: 'PCA dequantize',
  description: 'Codes back to embeddings: bucket centres, then out of PCA space',
  inputs: { codes: 'Codes', basis: 'PcaBasis' },
  outputs: { out: 'Embedding' },
  params: {},
  run: ({ codes, basis }, _, ctx) => {
    if (!codes.min || !codes.max)
      throw new NodeError(
        ctx.nodeId,
        codes.grid
          ? `these are a dVAE's picture codes (${codes.grid}x${codes.grid} grid), not PCA codes: decode them with ` +
              `dalle/decode`
          : 'these codes carry no quantization range (min, max): they did not come from embedding/pca-quantize',
        'inputs.codes',
      );
    const k = codes.codes.shape[1]!;
    if (k > basis.components.shape[0]!)
      throw new NodeError(
        ctx.nodeId,
        `codes have ${k} dims, the basis ${basis.components.shape[0]} components`,
        'inputs.basis',
      );
    return {
      out: pcaUnproject(dequantize(codes.codes, { min: codes.min, max: codes.max, buckets: codes.buckets }), basis),
    };
  },
});
