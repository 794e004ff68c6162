import { Position, type NodeHandle } from '@xyflow/react';
import type { GraphNode } from '../graph/document';
import type { NodeInfo } from '../engine/api';
import { estimatedSize } from './placement';

/**
 * The box and port dots of a graph node as drawn (NodeView), from its definition alone: what the canvas gives React
 * Flow for a node it has not drawn yet, so a big graph's nodes out of view are culled from the first frame instead
 * of each being rendered once to be measured (React Flow renders every node without known handles). Drawn, a node
 * is measured (React Flow's resize observer forces it) and these give way to its real size and handles.
 *
 * Measured in Chromium (the default graph): a title of one line is 26 px (17 more a wrapped line), the first port's
 * dot is 14 px below it, the next ones 19.6 px apart; nodes are 190-280 px wide. The height errs on the large side
 * (placement.ts's estimate), so a node is never culled while a part of it would show.
 */
export const TITLE_PX = 26;
const TITLE_LINE_PX = 17;
const TITLE_CHARS = 22;
const FIRST_PORT_PX = 14;
const PORT_PX = 19.6;
const DOT = 10;
export const WIDTH_PX = 280;

export interface NodeEstimate {
  /** React Flow's `measured`: a node with a size is not drawn just to be measured, and counts as initialized */
  measured: { width: number; height: number };
  handles: NodeHandle[];
}

export function estimateNode(node: GraphNode, info: NodeInfo | undefined): NodeEstimate {
  const label = node.ui?.label ?? info?.title ?? node.type;
  const title = TITLE_PX + TITLE_LINE_PX * Math.max(0, Math.ceil(label.length / TITLE_CHARS) - 1);
  const inputs = info ? Object.keys(info.inputs) : Object.keys(node.inputs ?? {});
  const outputs = Object.keys(info?.outputs ?? {});
  const at = (i: number) => Math.round(title + FIRST_PORT_PX + PORT_PX * i - DOT / 2);
  const handles: NodeHandle[] = [
    ...inputs.map((id, i) => ({ id, type: 'target' as const, position: Position.Left, x: -DOT / 2, y: at(i) })),
    ...outputs.map((id, i) => ({
      id,
      type: 'source' as const,
      position: Position.Right,
      x: WIDTH_PX - DOT / 2,
      y: at(i),
    })),
  ].map((h) => ({ ...h, width: DOT, height: DOT }));
  const rows = Math.max(inputs.length, outputs.length);
  const height = Math.max(estimatedSize(info, node.params).height, title + 8 + PORT_PX * rows + 20);
  return { measured: { width: WIDTH_PX, height: Math.round(height) }, handles };
}
