import {
  Background,
  Controls,
  ReactFlow,
  useReactFlow,
  useStore,
  useStoreApi,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type OnConnectEnd,
  type OnConnectStart,
  Panel,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo } from 'react';
import { parsePortRef } from '../graph/document';
import { connectionRefusal, isPortType } from '../graph/ports';
import { portColor } from './colors';
import { removeNodes } from './graph-edits';
import { CanvasMiniMap } from './CanvasMiniMap';
import { NodeView } from './NodeView';
import { useEditor } from './store';
import { showOpenedGraph } from './view';

const nodeTypes = { graph: NodeView };
const CULL_ABOVE = 1500;

function portTypeOf(nodeId: string, port: string, side: 'source' | 'target'): string | undefined {
  const s = useEditor.getState();
  const node = s.doc.nodes.find((n) => n.id === nodeId);
  const info = node && s.catalog.get(node.type);
  if (!info) return undefined;
  return side === 'source' ? info.outputs[port] : info.inputs[port]?.type;
}

/** Why a connection is refused (or null): types, self-loops. */
export function refusalOf(c: Connection | Edge): string | null {
  if (!c.source || !c.target || !c.sourceHandle || !c.targetHandle) return 'incomplete connection';
  if (c.source === c.target) return 'a node cannot feed itself';
  const from = portTypeOf(c.source, c.sourceHandle, 'source');
  const to = portTypeOf(c.target, c.targetHandle, 'target');
  if (!from || !to || !isPortType(from) || !isPortType(to)) return 'unknown port';
  return connectionRefusal(from, to);
}

export function Canvas() {
  const doc = useEditor((s) => s.doc);
  const selection = useEditor((s) => s.selection);
  const change = useEditor((s) => s.change);
  const flow = useReactFlow();
  // Zoomed far out the dot grid would be a dot every pixel or two: costly to raster, no help to the eye.
  const gridVisible = useStore((s) => s.transform[2] >= 0.3);

  const derived = useMemo<Node[]>(
    () =>
      doc.nodes.map((n) => ({
        id: n.id,
        type: 'graph',
        position: { x: n.ui?.x ?? 0, y: n.ui?.y ?? 0 },
        data: {},
        selected: selection.includes(n.id),
      })),
    [doc.nodes, selection],
  );
  // Uncontrolled: React Flow owns positions while dragging (no React re-render of the canvas per
  // pointer move); the document is pushed in whenever it changes and updated at drag stop.
  useEffect(() => flow.setNodes(derived), [derived, flow]);
  // A graph just opened is shown whole when that is readable, else from its left edge at a readable zoom.
  const opened = useEditor((s) => s.opened);
  const rf = useStoreApi();
  useEffect(() => {
    if (!opened) return;
    const t = setTimeout(() => showOpenedGraph(flow, rf.getState()), 60);
    return () => clearTimeout(t);
  }, [opened, flow, rf]);

  const edges = useMemo<Edge[]>(() => {
    const out: Edge[] = [];
    for (const n of doc.nodes)
      for (const [port, ref] of Object.entries(n.inputs ?? {})) {
        const r = parsePortRef(ref);
        if (!r) continue;
        const type = portTypeOf(r.nodeId, r.port, 'source');
        out.push({
          id: `${n.id}.${port}`,
          source: r.nodeId,
          sourceHandle: r.port,
          target: n.id,
          targetHandle: port,
          style: { stroke: type ? portColor(type) : '#888', strokeWidth: 2 },
        });
      }
    return out;
  }, [doc.nodes]);

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    const selected = changes.filter((c) => c.type === 'select');
    if (selected.length) {
      const ids = new Set(useEditor.getState().selection);
      for (const c of selected)
        if (c.type === 'select') {
          if (c.selected) ids.add(c.id);
          else ids.delete(c.id);
        }
      useEditor.getState().select([...ids]);
    }
  }, []);

  const onNodeDragStop = useCallback(
    (_: unknown, __: Node, all: Node[]) => {
      const doc = useEditor.getState().doc;
      const dragged = all.filter((m) => {
        const n = doc.nodes.find((x) => x.id === m.id);
        return n && (Math.round(m.position.x) !== (n.ui?.x ?? 0) || Math.round(m.position.y) !== (n.ui?.y ?? 0));
      });
      if (!dragged.length) return; // a click, not a move: no edit
      change(dragged.length > 1 ? `move ${dragged.length} nodes` : `move ${dragged[0]?.id}`, (d) => {
        for (const m of dragged) {
          const n = d.nodes.find((x) => x.id === m.id);
          if (n) n.ui = { ...(n.ui ?? { x: 0, y: 0 }), x: Math.round(m.position.x), y: Math.round(m.position.y) };
        }
      });
    },
    [change],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const refusal = refusalOf(c);
      if (refusal) return useEditor.getState().notify(`connection refused: ${refusal}`, 'error');
      change(`connect ${c.source}.${c.sourceHandle} -> ${c.target}.${c.targetHandle}`, (d) => {
        const n = d.nodes.find((x) => x.id === c.target)!;
        n.inputs = { ...n.inputs, [c.targetHandle!]: `${c.source}.${c.sourceHandle}` }; // one edge per input: replaces
      });
    },
    [change],
  );

  const onConnectStart: OnConnectStart = useCallback((_, p) => {
    if (!p.nodeId || !p.handleId || !p.handleType) return;
    const type = portTypeOf(p.nodeId, p.handleId, p.handleType);
    if (type) useEditor.setState({ connecting: { nodeId: p.nodeId, port: p.handleId, side: p.handleType, type } });
  }, []);

  const onConnectEnd: OnConnectEnd = useCallback(
    (event, state) => {
      const from = useEditor.getState().connecting;
      useEditor.setState({ connecting: null });
      if (state.toHandle && !state.isValid && state.fromHandle) {
        const a = state.fromHandle,
          b = state.toHandle;
        if (a.type === b.type) {
          const both = a.type === 'source' ? 'two outputs' : 'two inputs';
          useEditor
            .getState()
            .notify(`connection refused: ${both} cannot be connected (drag from an output to an input)`, 'error');
          return;
        }
        const c =
          a.type === 'source'
            ? { source: a.nodeId, sourceHandle: a.id ?? null, target: b.nodeId, targetHandle: b.id ?? null }
            : { source: b.nodeId, sourceHandle: b.id ?? null, target: a.nodeId, targetHandle: a.id ?? null };
        const refusal = refusalOf(c as Connection);
        if (refusal) useEditor.getState().notify(`connection refused: ${refusal}`, 'error');
        return;
      }
      if (!state.toHandle && from) {
        const pt = 'clientX' in event ? event : (event as TouchEvent).changedTouches[0]!;
        const flowPos = flow.screenToFlowPosition({ x: pt.clientX, y: pt.clientY });
        useEditor.setState({ palette: { x: pt.clientX, y: pt.clientY, flowX: flowPos.x, flowY: flowPos.y, from } });
      }
    },
    [flow],
  );

  const isValidConnection = useCallback((c: Connection | Edge) => refusalOf(c) === null, []);

  // One undoable edit for a deletion, whether it removes nodes (and their edges) or only edges.
  const onDelete = useCallback(
    ({ nodes: gone, edges: cut }: { nodes: Node[]; edges: Edge[] }) => {
      const ids = new Set(gone.map((n) => n.id));
      const label = ids.size ? `delete ${[...ids].join(', ')}` : `disconnect ${cut.map((e) => e.id).join(', ')}`;
      change(label, (d) => {
        for (const e of cut) {
          const n = d.nodes.find((x) => x.id === e.target);
          if (n?.inputs) delete n.inputs[e.targetHandle!];
        }
        if (ids.size) removeNodes(d, ids);
      });
      if (ids.size) useEditor.getState().select([]);
    },
    [change],
  );

  const onPaneDoubleClick = useCallback(
    (e: React.MouseEvent) => {
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      useEditor.setState({ palette: { x: e.clientX, y: e.clientY, flowX: p.x, flowY: p.y } });
    },
    [flow],
  );

  return (
    <ReactFlow
      defaultNodes={derived}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onNodeDragStop={onNodeDragStop}
      onConnect={onConnect}
      onConnectStart={onConnectStart}
      onConnectEnd={onConnectEnd}
      isValidConnection={isValidConnection}
      onDelete={onDelete}
      onDoubleClick={(e) => {
        if ((e.target as HTMLElement).classList.contains('react-flow__pane')) onPaneDoubleClick(e);
      }}
      zoomOnDoubleClick={false}
      deleteKeyCode={['Delete', 'Backspace']}
      multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
      minZoom={0.05}
      maxZoom={4}
      // Culling re-renders React Flow's node and edge lists on every frame of a pan: at 500 nodes
      // that cost more than it saved (pan 92% -> 97% of frames within a vsync without it). Very
      // large graphs still cull.
      onlyRenderVisibleElements={doc.nodes.length > CULL_ABOVE}
      proOptions={{ hideAttribution: true }}
    >
      {gridVisible && <Background gap={24} />}
      <CanvasMiniMap />
      <Controls />
      {doc.nodes.length === 0 && (
        <Panel position="top-center" className="empty-hint" data-testid="empty-hint">
          An empty graph: press <kbd>Space</kbd> or double-click to add a node, drop a graph file here, or open{' '}
          <b>Examples</b> to start.
        </Panel>
      )}
    </ReactFlow>
  );
}
