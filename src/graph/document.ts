import { z } from 'zod';

/** Graph JSON v1: the saved document. Strict: unknown fields are errors. */
export const GRAPH_FORMAT = 'unclip-studio/graph';
export const CURRENT_VERSION = 1;

export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
export const PORT_REF_PATTERN = /^([A-Za-z_][A-Za-z0-9_-]{0,63})\.([A-Za-z_][A-Za-z0-9_]{0,63})$/;

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
  params: z.record(z.string(), paramValue).optional(),
  inputs: z.record(z.string(), z.string()).optional(),
  bypass: z.boolean().optional(),
  ui: nodeUiSchema.optional(),
});

export const graphSchema = z.strictObject({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(CURRENT_VERSION),
  nodes: z.array(nodeSchema).max(20_000),
  meta: z
    .strictObject({
      title: z.string().max(200).optional(),
      description: z.string().max(5_000).optional(),
    })
    .optional(),
});

export type GraphDocument = z.infer<typeof graphSchema>;
export type GraphNode = z.infer<typeof nodeSchema>;
export type NodeUi = z.infer<typeof nodeUiSchema>;

/** Splits "node.port" into its parts, or null. */
export function parsePortRef(ref: string): { nodeId: string; port: string } | null {
  const m = PORT_REF_PATTERN.exec(ref);
  return m ? { nodeId: m[1]!, port: m[2]! } : null;
}

export function emptyGraph(title = 'Untitled'): GraphDocument {
  return { format: GRAPH_FORMAT, version: CURRENT_VERSION, nodes: [], meta: { title } };
}
