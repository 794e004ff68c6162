import type { GraphNode } from '../graph/document';
import { parsePortRef } from '../graph/document';

/**
 * The node where a bad value was typed, when an error on an input is about words that came from
 * upstream: an unknown word reported by the model node, found in the text param of the node
 * feeding that input (a Prompt, a list of lines).
 */
export function originOf(
  nodes: ReadonlyMap<string, GraphNode>,
  node: GraphNode,
  field: string | undefined,
  message: string,
): { nodeId: string; field: string } | undefined {
  const word = /unknown word "([^"]*)/.exec(message)?.[1];
  if (!word) return undefined;
  const up = textSource(nodes, node, field);
  const text = up?.params?.text;
  const stem = word.replace(/…$/, '');
  // split as a caption is read (src/world/canonical.ts): hyphens as spaces, punctuation dropped
  const said =
    typeof text === 'string'
      ? text
          .toLowerCase()
          .split(/[\s\-_/]+/)
          .map((w) => w.replace(/^[.,;:!?"'()]+|[.,;:!?"'()]+$/g, ''))
      : [];
  return up && said.some((w) => (stem === word ? w === word : w.startsWith(stem)))
    ? { nodeId: up.id, field: 'params.text' }
    : undefined;
}

/** The node feeding an input (`inputs.<port>`) when it holds typed text (a `text` param: a Prompt, a list of lines). */
export function textSource(
  nodes: ReadonlyMap<string, GraphNode>,
  node: GraphNode,
  field: string | undefined,
): GraphNode | undefined {
  if (!field?.startsWith('inputs.')) return undefined;
  const ref = node.inputs?.[field.slice('inputs.'.length)];
  const up = ref ? nodes.get(parsePortRef(ref)?.nodeId ?? '') : undefined;
  return typeof up?.params?.text === 'string' ? up : undefined;
}
