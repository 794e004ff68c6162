import { z } from 'zod';

/**
 * Graph JSON v3: the saved document (v1; v2 added subgraph definitions; v3 records each node's type
 * version and the models the graph was made with). Strict: unknown fields are errors.
 */
export const GRAPH_FORMAT = 'unclip-studio/graph';
export const CURRENT_VERSION = 3;

export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** "node.port"; the engine's flattened graphs also use "instance/inner.port" (a "/" never appears in a saved id). */
export const PORT_REF_PATTERN =
  /^([A-Za-z_][A-Za-z0-9_-]{0,63}(?:\/[A-Za-z_][A-Za-z0-9_-]{0,63}){0,16})\.([A-Za-z_][A-Za-z0-9_]{0,63})$/;

const paramValue = z.union([z.number(), z.string(), z.boolean()]);

export const nodeUiSchema = z.strictObject({
  x: z.number().refine(Number.isFinite, 'must be finite'),
  y: z.number().refine(Number.isFinite, 'must be finite'),
  width: z.number().positive().optional(),
  collapsed: z.boolean().optional(),
  label: z.string().max(200).optional(),
});

export const nodeSchema = z.strictObject({
  id: z
    .string()
    .regex(NODE_ID_PATTERN, 'must start with a letter or _ and use only letters, digits, _ and - (at most 64)'),
  type: z.string().max(100),
  /** The node type's version the node was saved at (absent: 1); older ones are migrated when the graph opens. */
  version: z.number().int().min(1).max(1_000_000).optional(),
  params: z.record(z.string(), paramValue).optional(),
  inputs: z.record(z.string(), z.string()).optional(),
  bypass: z.boolean().optional(),
  ui: nodeUiSchema.optional(),
});

const name = z
  .string()
  .regex(NODE_ID_PATTERN, 'must start with a letter or _ and use only letters, digits, _ and - (at most 64)')
  .refine((n) => !['__proto__', 'constructor', 'prototype'].includes(n), 'is a reserved name');
const portName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must start with a letter or _ and use only letters, digits and _');
const point = z.strictObject({
  x: z.number().refine(Number.isFinite, 'must be finite'),
  y: z.number().refine(Number.isFinite, 'must be finite'),
});

/** A subgraph definition: nodes, the inputs that feed them ("$in.<name>"), the outputs and the params it exposes. */
export const subgraphSchema = z.strictObject({
  title: z.string().max(200).optional(),
  description: z.string().max(5_000).optional(),
  inputs: z
    .record(portName, z.strictObject({ type: z.string().max(40), description: z.string().max(1_000).optional() }))
    .refine((r) => Object.keys(r).length <= 64, 'at most 64 inputs')
    .optional(),
  outputs: z
    .record(portName, z.string().max(200))
    .refine((r) => Object.keys(r).length <= 64, 'at most 64 outputs')
    .optional(),
  params: z
    .record(portName, z.strictObject({ node: name, param: portName, label: z.string().max(200).optional() }))
    .refine((r) => Object.keys(r).length <= 128, 'at most 128 exposed params')
    .optional(),
  nodes: z.array(nodeSchema).max(20_000),
  /** Where the editor draws the Inputs and Outputs of the definition. */
  ui: z.strictObject({ in: point.optional(), out: point.optional() }).optional(),
});

/**
 * One model a graph was made with (its lock): the id its loader names, the file's sha256 and size,
 * and where it came from ("" = the bundled models, else the loader's manifest path or URL).
 */
export const lockedModelSchema = z.strictObject({
  id: z.string().min(1).max(200),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  bytes: z
    .number()
    .int()
    .positive()
    .max(2 ** 50),
  source: z.string().max(2_000),
  /** The files the model keeps its weights in (ONNX external data, above 2 GB), each with its sha256 and size. */
  externalData: z
    .array(
      z.strictObject({
        location: z.string().min(1).max(500),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
        bytes: z
          .number()
          .int()
          .nonnegative()
          .max(2 ** 50),
      }),
    )
    .max(256)
    .optional(),
});

export const graphSchema = z.strictObject({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(CURRENT_VERSION),
  nodes: z.array(nodeSchema).max(20_000),
  /** The model lock: what each loader loaded when the graph was saved. */
  models: z.array(lockedModelSchema).max(500).optional(),
  subgraphs: z
    .record(name, subgraphSchema)
    .refine((r) => Object.keys(r).length <= 500, 'at most 500 subgraph definitions')
    .optional(),
  meta: z
    .strictObject({
      title: z.string().max(200).optional(),
      description: z.string().max(5_000).optional(),
    })
    .optional(),
});

export type GraphDocument = z.infer<typeof graphSchema>;
export type GraphNode = z.infer<typeof nodeSchema>;
export type SubgraphDef = z.infer<typeof subgraphSchema>;
export type NodeUi = z.infer<typeof nodeUiSchema>;
export type LockedModel = z.infer<typeof lockedModelSchema>;

/** Splits "node.port" into its parts, or null. */
export function parsePortRef(ref: string): { nodeId: string; port: string } | null {
  const m = PORT_REF_PATTERN.exec(ref);
  return m ? { nodeId: m[1]!, port: m[2]! } : null;
}

export function emptyGraph(title = 'Untitled'): GraphDocument {
  return { format: GRAPH_FORMAT, version: CURRENT_VERSION, nodes: [], meta: { title } };
}
