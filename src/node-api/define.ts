import type { InputSpec, NodeMigration, NodeSpec } from '../graph/catalog';
import type { ParamSchema, ParamsOf, ParamValue } from '../graph/params';
import type { PortType } from '../graph/ports';
import type { Float32Tensor } from '../tensor/tensor';
import type { EngineServices } from './services';
import type { PortValues } from './values';

/** What a node's run gets besides its inputs and params. */
export interface RunContext {
  readonly nodeId: string;
  /** The node's type: what names its noise streams (src/tensor/noise.ts), as it names its memo key. */
  readonly nodeType: string;
  /** Aborted when the run is cancelled; long nodes check it between steps. */
  readonly signal: AbortSignal;
  /**
   * Reports progress 0..1, optionally the step, a preview image (predicted x0), or a line saying what is under way
   * ("downloading 12 / 151 MB"), shown instead of the percentage.
   */
  progress(fraction: number, info?: { step?: number; steps?: number; preview?: Float32Tensor; label?: string }): void;
  /** Throws an AbortError when the run was cancelled. */
  throwIfAborted(): void;
  /**
   * Tells the user how the node read an input (the caption a word-level model read for what was typed); kept with
   * the result, so a cached run says it again. A note on `inputs.text` is shown where the text was typed.
   */
  note(message: string, field?: string): void;
  /** Host services: file/URL reading, model sessions. */
  readonly services: EngineServices;
}

type InputDecl = PortType | (InputSpec & { type: PortType });
type InputValue<D> = D extends PortType
  ? PortValues[D]
  : D extends { type: infer T extends PortType; optional: true }
    ? PortValues[T] | undefined
    : D extends { type: infer T extends PortType }
      ? PortValues[T]
      : never;
export type InputsOf<I extends Record<string, InputDecl>> = { [K in keyof I]: InputValue<I[K]> };
export type OutputsOf<O extends Record<string, PortType>> = { [K in keyof O]: PortValues[O[K]] };

/** A node type with its run function, as the registry holds it (generics erased). */
export interface NodeDefinition extends NodeSpec {
  run(
    inputs: Record<string, unknown>,
    params: Record<string, ParamValue>,
    ctx: RunContext,
  ): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/**
 * Declares a node type. Reads like a datasheet: ports, params with their
 * schemas, and a pure `run` from inputs and params to outputs.
 */
export function defineNode<
  const I extends Record<string, InputDecl>,
  const O extends Record<string, PortType>,
  const P extends Record<string, ParamSchema>,
>(def: {
  type: string;
  version: number;
  /** migrations[n] brings a node saved at version n - 1 to n (params, wires, renamed outputs). */
  migrations?: Record<number, NodeMigration>;
  title: string;
  description: string;
  inputs: I;
  outputs: O;
  params: P;
  run: (inputs: InputsOf<I>, params: ParamsOf<P>, ctx: RunContext) => Promise<OutputsOf<O>> | OutputsOf<O>;
}): NodeDefinition {
  const inputs: Record<string, InputSpec> = {};
  for (const [name, decl] of Object.entries(def.inputs))
    inputs[name] = typeof decl === 'string' ? { type: decl } : decl;
  return { ...def, inputs, run: def.run as NodeDefinition['run'] };
}
