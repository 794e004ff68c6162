/**
 * What a node may import besides models, tensors and the world: `defineNode` and the run context, the values that
 * travel on ports, param schemas, the errors a node throws, and what hosts give it. Nodes never import the engine,
 * the graph internals, the UI or the CLI (`npm run lint` holds this: .dependency-cruiser.cjs).
 */
export { defineNode, type InputsOf, type NodeDefinition, type OutputsOf, type RunContext } from './define';
export type { Codes, ModelRef, PortValue, PortValues, Scores } from './values';
export { AbortError, isAbortError, type EngineServices } from './services';
export { NodeError } from '../graph/errors';
export { article, type PortType } from '../graph/ports';
export {
  boolean,
  enumeration,
  integer,
  number,
  seed,
  string,
  type ParamSchema,
  type ParamValue,
  type ParamsOf,
} from '../graph/params';
export { decodeMaskRle, encodeMaskRle, MASK_MAX_SIDE, MASK_RLE_MAX_LENGTH } from '../graph/mask-rle';
