import type { ParamSchema, ParamValue } from './params';
import { article, type PortType } from './ports';

/** An input port: its type, and whether the node runs without it. */
export interface InputSpec {
  type: PortType;
  optional?: boolean;
  description?: string;
  /**
   * An optional input that becomes required once any of these inputs is wired (the decoder's `clip` once `text` is:
   * it encodes the caption), with why. The editor marks it; a run without it fails naming it.
   */
  requiredWhen?: { wired: readonly string[]; reason: string };
  /** A Model input: the model kinds it takes (manifest `kind`, or "clip" for a CLIP pair), for the loaders' lists. */
  models?: readonly string[];
}

/** Whether an input must be wired, given the node's wires: not optional, or made required by one that is wired. */
export function isRequired(spec: InputSpec, wired: Readonly<Record<string, string>>): boolean {
  return !spec.optional || !!spec.requiredWhen?.wired.some((port) => Object.hasOwn(wired, port));
}

/** The first input that a `requiredWhen` rule makes required and is not wired, as a message for the run. */
export function missingRequired(
  spec: Pick<NodeSpec, 'inputs'>,
  wired: Readonly<Record<string, string>>,
): { field: string; message: string } | undefined {
  for (const [port, input] of Object.entries(spec.inputs)) {
    const rule = input.requiredWhen;
    if (!rule || Object.hasOwn(wired, port) || !isRequired(input, wired)) continue;
    const by = rule.wired.filter((p) => Object.hasOwn(wired, p)).map((p) => `"${p}"`);
    return {
      field: `inputs.${port}`,
      message:
        `${article(input.type)} ${input.type} is required here once ${by.join(' and ')} is wired: ` + rule.reason,
    };
  }
  return undefined;
}

/** A node's params and wires as a migration sees them (plain data, never shared with the document). */
export interface MigratingNode {
  params: Record<string, ParamValue>;
  inputs: Record<string, string>;
}

/**
 * One step of a node type's history: brings a node saved at version n - 1 to n. It may rename
 * outputs (`outputs: { old: new }`): the wires reading them are renamed with it; and say where a
 * param went (`renamedParams: { old: new }`): a subgraph exposing the old one exposes the new one.
 */
export type NodeMigration = (
  node: MigratingNode,
) => MigratingNode & { outputs?: Record<string, string>; renamedParams?: Record<string, string> };

/** What the loader and the editor need to know of a node type (no run function). */
export interface NodeSpec {
  type: string;
  /** Raised when the params, ports or results change; `migrations` brings older saved nodes up to it. */
  version: number;
  /** migrations[n]: version n - 1 -> n. A missing step changes nothing (a version raised for behaviour). */
  migrations?: Readonly<Record<number, NodeMigration>>;
  title: string;
  description: string;
  inputs: Record<string, InputSpec>;
  outputs: Record<string, PortType>;
  params: Record<string, ParamSchema>;
}

/** Node types by name. */
export type NodeCatalog = ReadonlyMap<string, NodeSpec>;

/** The family of a node type: "embedding/slerp" -> "embedding". */
export function familyOf(type: string): string {
  return type.split('/')[0] ?? type;
}

/** A record's own entry (not one inherited from Object.prototype: "constructor", "toString"). */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
