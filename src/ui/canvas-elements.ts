import type { Edge, Node, ReactFlowInstance } from '@xyflow/react';
import { useLayoutEffect, useMemo, useRef } from 'react';
import { parsePortRef, type GraphDocument, type GraphNode, type SubgraphDef } from '../graph/document';
import type { NodeInfo } from '../engine/api';
import { INPUT_REF } from '../graph/subgraph';
import { portColor } from './colors';
import { estimateNode } from './node-size';
import { portTypeOf } from './canvas-ports';
import { IN_NODE, OUT_NODE } from './scope';
import { CULL_ABOVE } from './view';

/** The handles a node draws (its ports), as one string: a node whose handles change is measured afresh. */
function handlesOf(n: GraphNode, info: NodeInfo | undefined): string {
  const inputs = info ? Object.keys(info.inputs) : Object.keys(n.inputs ?? {});
  return `${n.type}(${inputs.join()})->(${Object.keys(info?.outputs ?? {}).join()})`;
}

/**
 * The canvas's nodes: the graph shown (and a subgraph's Inputs and Outputs nodes) handed to React Flow, which owns
 * them while they are dragged (uncontrolled).
 */
export function useFlowNodes(
  flow: ReactFlowInstance,
  doc: Pick<GraphDocument, 'nodes'>,
  def: SubgraphDef | undefined,
  selection: string[],
  catalog: Map<string, NodeInfo>,
): Node[] {
  // each node's data object, kept while its handles are the same: a node given the same data, position and
  // selection is handed to React Flow as the object it already has, so it and its wires do not re-render
  const dataOf = useRef(new Map<string, { handles: string }>());
  const derived = useMemo<Node[]>(() => {
    const chosen = new Set(selection);
    const culled = doc.nodes.length > CULL_ABOVE; // as onlyRenderVisibleElements below
    const datas = new Map<string, { handles: string }>();
    // the outputs of each node that others read (a placeholder draws them whatever its type says)
    const read = new Map<string, Set<string>>();
    if (culled)
      for (const n of doc.nodes)
        for (const ref of Object.values(n.inputs ?? {})) {
          const r = parsePortRef(ref);
          if (r) read.set(r.nodeId, (read.get(r.nodeId) ?? new Set()).add(r.port));
        }
    const nodes: Node[] = doc.nodes.map((n) => {
      const handles = handlesOf(n, catalog.get(n.type));
      const kept = dataOf.current.get(n.id);
      const data = kept?.handles === handles ? kept : { handles };
      datas.set(n.id, data);
      const node: Node = {
        id: n.id,
        type: 'graph',
        position: { x: n.ui?.x ?? 0, y: n.ui?.y ?? 0 },
        data,
        selected: chosen.has(n.id),
      };
      if (culled) {
        // a big graph's node has its size and port dots from its definition until it is drawn and measured
        // (node-size.ts): those out of view are never rendered just to be measured. `handles` is not enumerable:
        // React Flow reads it from the node given, and its copy of a node it measured (a spread) drops it, so
        // the handles it measured stand instead of these coming back with the copy.
        const guess = estimateNode(n, catalog.get(n.type), read.get(n.id));
        node.measured = guess.measured;
        Object.defineProperty(node, 'handles', { value: guess.handles, enumerable: false });
      }
      return node;
    });
    dataOf.current = datas;
    if (def) {
      const [xin, yin] = [def.ui?.in?.x ?? -320, def.ui?.in?.y ?? 0];
      const [xout, yout] = [def.ui?.out?.x ?? 1200, def.ui?.out?.y ?? 0];
      const [ins, outs] = [Object.keys(def.inputs ?? {}).join(), Object.keys(def.outputs ?? {}).join()];
      nodes.push(
        { id: IN_NODE, type: 'sgio', position: { x: xin, y: yin }, data: { handles: ins }, deletable: false },
        { id: OUT_NODE, type: 'sgio', position: { x: xout, y: yout }, data: { handles: outs }, deletable: false },
      );
    }
    return nodes;
  }, [doc.nodes, selection, def, catalog]);
  // Uncontrolled: React Flow owns positions while dragging (no React re-render of the canvas per
  // pointer move); the document is pushed in whenever it changes and updated at drag stop.
  // Each node keeps its measured size: without it React Flow hides the node until it is measured
  // again, and the second press of a double-click on a node just selected fell on the pane. Only while
  // its handles stay the same: with a size React Flow keeps the handles it measured, and a node that
  // took the id of another (an ungrouped node the id of its group, an example's "image" another type)
  // had its wires looked up among the old node's handles (React Flow error 008, wires not drawn).
  // Before the browser measures anything, and before the wires (the effect after the wires' memo).
  // A node measured keeps its measured handles: given `handles`, React Flow would take those estimated again.
  // A node unchanged is given as the object React Flow has: it and its wires do not re-render.
  useLayoutEffect(
    () =>
      flow.setNodes((prev) => {
        const before = new Map(prev.map((n) => [n.id, n]));
        return derived.map((n) => {
          const old = before.get(n.id);
          if (
            old?.data === n.data &&
            old.type === n.type &&
            !!old.selected === !!n.selected &&
            old.position.x === n.position.x &&
            old.position.y === n.position.y
          )
            return old;
          if (!old?.measured || old.data.handles !== n.data.handles) return n;
          return { ...n, measured: old.measured }; // the spread leaves out the estimated handles
        });
      }),
    [derived, flow],
  );
  return derived;
}

/** The canvas's wires, handed to React Flow after the nodes. */
export function useFlowEdges(
  flow: ReactFlowInstance,
  doc: Pick<GraphDocument, 'nodes'>,
  def: SubgraphDef | undefined,
): Edge[] {
  // each wire's object, kept while it is the same wire: an edit elsewhere (a node moved) re-renders no wire
  const edgeOf = useRef(new Map<string, Edge>());
  const edges = useMemo<Edge[]>(() => {
    const out: Edge[] = [];
    for (const [port, ref] of Object.entries(def?.outputs ?? {})) {
      const r = parsePortRef(ref);
      const type = r && portTypeOf(r.nodeId, r.port, 'source');
      if (r)
        out.push({
          id: `${OUT_NODE}.${port}`,
          source: r.nodeId,
          sourceHandle: r.port,
          target: OUT_NODE,
          targetHandle: port,
          style: { stroke: type ? portColor(type) : '#888', strokeWidth: 2 },
          selectable: false,
        });
    }
    for (const n of doc.nodes)
      for (const [port, ref] of Object.entries(n.inputs ?? {})) {
        const m = INPUT_REF.exec(ref);
        const r = m ? { nodeId: IN_NODE, port: m[1]! } : parsePortRef(ref);
        if (!r) continue;
        const type = portTypeOf(r.nodeId, r.port, 'source');
        out.push({
          id: `${n.id}.${port}`,
          source: r.nodeId,
          sourceHandle: r.port,
          target: n.id,
          targetHandle: port,
          style: { stroke: type ? portColor(type) : '#888', strokeWidth: 2 },
          selectable: false,
        });
      }
    const kept = new Map<string, Edge>();
    const same = (a: Edge, b: Edge) =>
      a.source === b.source &&
      a.sourceHandle === b.sourceHandle &&
      a.target === b.target &&
      a.targetHandle === b.targetHandle &&
      a.style?.stroke === b.style?.stroke;
    const wires = out.map((e) => {
      const old = edgeOf.current.get(e.id);
      const wire = old && same(old, e) ? old : e;
      kept.set(e.id, wire);
      return wire;
    });
    edgeOf.current = kept;
    return wires;
  }, [doc.nodes, def]);
  // The wires go to React Flow with the nodes, after them, in one batch: given as a prop they arrived in
  // an effect of React Flow's own, after the browser had measured the new nodes and before React Flow had
  // them (an ungroup: wires to the ungrouped nodes looked up among the handles of the nodes shown before).
  useLayoutEffect(() => flow.setEdges(edges), [edges, flow]);
  return edges;
}
