import type { NodeDefinition } from '../src/node-api/define';
import textPrompt from './text/prompt';
import textLines from './text/lines';
import valueNumber from './value/number';
import valueSeed from './value/seed';
import normalize from './embedding/normalize';
import slerp from './embedding/slerp';
import lerp from './embedding/lerp';
import textDiff from './embedding/text-diff';
import cosineMatrix from './embedding/cosine-matrix';
import concat from './embedding/concat';
import pcaFit from './embedding/pca-fit';
import pcaReconstruct from './embedding/pca-reconstruct';
import pcaQuantize from './embedding/pca-quantize';
import pcaDequantize from './embedding/pca-dequantize';
import noise from './diffusion/noise';
import randomEmbedding from './embedding/random';
import renderScene from './world/render-scene';
import readPicture from './world/read-picture';
import loadImage from './io/load-image';
import loadClip from './clip/load-model';
import tokenize from './text/tokenize';
import textEncode from './clip/text-encode';
import imageEncode from './clip/image-encode';
import zeroShot from './rank/zero-shot-classify';
import clipRank from './rank/clip-rank';
import nearestCaptions from './embedding/nearest-captions';
import interpolate from './embedding/interpolate';
import imageConcat from './image/concat';
import maskRect from './mask/rect';
import maskCell from './mask/cell';
import maskFromImage from './mask/from-image';
import maskInvert from './mask/invert';
import maskGrow from './mask/grow';
import maskPaint from './mask/paint';
import composite from './image/composite';
import imageResize from './image/resize';
import maskResize from './mask/resize';
import inpaint from './diffusion/inpaint';
import loadDiffusion from './diffusion/load-model';
import prior from './diffusion/prior';
import arPrior from './prior/autoregressive';
import decode from './diffusion/decode';
import ddimInvert from './diffusion/ddim-invert';
import upsample from './diffusion/upsample';
import clipDraw from './guide/clip-draw';
import clipLatent from './guide/clip-latent';
import dalleLoad from './dalle/load-model';
import dalleEncode from './dalle/encode';
import dalleDecode from './dalle/decode';
import dalleSample from './dalle/sample';

/** Every node type, in palette order. Add a node: write its file, list it here. */
export const NODE_DEFINITIONS: readonly NodeDefinition[] = [
  textPrompt,
  textLines,
  valueNumber,
  valueSeed,
  randomEmbedding,
  normalize,
  slerp,
  lerp,
  textDiff,
  cosineMatrix,
  concat,
  pcaFit,
  pcaReconstruct,
  pcaQuantize,
  pcaDequantize,
  noise,
  renderScene,
  readPicture,
  loadImage,
  loadClip,
  tokenize,
  textEncode,
  imageEncode,
  zeroShot,
  clipRank,
  nearestCaptions,
  interpolate,
  imageConcat,
  maskRect,
  maskCell,
  maskFromImage,
  maskInvert,
  maskGrow,
  maskPaint,
  maskResize,
  composite,
  imageResize,
  inpaint,
  loadDiffusion,
  prior,
  arPrior,
  decode,
  ddimInvert,
  upsample,
  clipDraw,
  clipLatent,
  dalleLoad,
  dalleSample,
  dalleEncode,
  dalleDecode,
];

export function createRegistry(extra: readonly NodeDefinition[] = []): Map<string, NodeDefinition> {
  const registry = new Map<string, NodeDefinition>();
  for (const def of [...NODE_DEFINITIONS, ...extra]) {
    if (registry.has(def.type)) throw new Error(`node type "${def.type}" is defined twice`);
    registry.set(def.type, def);
  }
  return registry;
}
