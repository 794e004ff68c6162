/** One problem found in a graph, naming where it is. */
export interface GraphIssue {
  /** The subgraph definition the problem is in (nodeId and field are then inside it). */
  subgraph?: string;
  /** The node's id, when the problem belongs to a node. */
  nodeId?: string;
  /** The port, param or field ("params.steps", "inputs.text", "format"). */
  field?: string;
  message: string;
  /**
   * The node opens as a placeholder rather than the graph being refused (an unknown type, port or
   * param, a version from a newer product): kept as in the file, it fails only the runs that need it.
   */
  placeholder?: boolean;
}

import { briefText } from '../tensor/quote';

export { briefText, describeValue, quoteValue } from '../tensor/quote';

export function formatIssue(issue: GraphIssue): string {
  const where = [issue.nodeId !== undefined ? `node "${issue.nodeId}"` : '', issue.field ? issue.field : '']
    .filter(Boolean)
    .join(' ');
  const text = where ? `${where}: ${issue.message}` : issue.message;
  return briefText(
    issue.subgraph !== undefined && !issue.message.startsWith(`subgraph "${issue.subgraph}"`)
      ? `subgraph "${issue.subgraph}": ${text}`
      : text,
  );
}

/** Thrown when a graph document cannot be loaded; carries every issue found. */
export class GraphError extends Error {
  constructor(readonly issues: GraphIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'GraphError';
  }
}

/** Thrown by a node's run, or by the engine about a node: names the node (and port/param where known). */
export class NodeError extends Error {
  constructor(
    readonly nodeId: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(formatIssue({ nodeId, field, message: detail }));
    this.name = 'NodeError';
  }
}
