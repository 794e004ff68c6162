import type { ParamSchema } from './params';
import type { PortType } from './ports';

/** An input port: its type, and whether the node runs without it. */
export interface InputSpec {
  type: PortType;
  optional?: boolean;
  description?: string;
}

/** What the loader and the editor need to know of a node type (no run function). */
export interface NodeSpec {
  type: string;
  version: number;
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
