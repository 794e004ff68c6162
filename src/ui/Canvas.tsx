import {
  Background,
  BezierEdge,
  Controls,
  ReactFlow,
  useReactFlow,
  useStore,
  useStoreApi,
  type Connection,
  type Edge,
  type EdgeTypes,
  type Node,
  type NodeChange,
  type OnConnectEnd,
  type OnConnectStart,
  Panel,
} from '@xyflow/react';
import { useCallback, useLayoutEffect, useRef } from 'react';
import { subgraphName } from '../graph/subgraph';
import { NodeView } from './NodeView';
import { selectCatalog, selectScope, useEditor } from './store';
import { currentDef, scopeOf } from './scope';
import { SubgraphIoView } from './SubgraphIoView';
import { Breadcrumb } from './Breadcrumb';
import { CULL_ABOVE, MIN_ZOOM, READABLE_ZOOM, showOpenedGraph, showWholeGraph } from './view';
import { useFirstRunReveal, useNodePlacement } from './canvas-effects';
import { counted, PROFILING } from './render-count';
import { FarOverview, overviewShown } from './FarOverview';
import { useFlowEdges, useFlowNodes } from './canvas-elements';
import { useCanvasEdits } from './canvas-edits';
import { portTypeOf, refusalOf } from './canvas-ports';

// counted: in a profiling build each node and wire is in a React Profiler (the editor bench counts re-renders)
const nodeTypes = { graph: counted('node', NodeView), sgio: counted('node', SubgraphIoView) };
// (only then: React Flow's own default wire differs from the exported BezierEdge, which gives its path an id)
const edgeTypes: EdgeTypes | undefined = PROFILING
  ? { default: counted('edge', BezierEdge) as EdgeTypes[string] }
  : undefined;

/** React Flow's errors (a wire to a handle it cannot find, ...) are ours to fix: said in every build, not just dev. */
function reportFlowError(code: string, message: string): void {
  console.error(`React Flow error ${code}: ${message}`);
}

/** The canvas of the graph shown; `ready` once the start-up has opened its graph (until then it says so). */
export function Canvas({ ready = true }: { ready?: boolean }) {
  const doc = useEditor(selectScope);
  const root = useEditor((s) => s.doc);
  const view = useEditor((s) => s.view);
  const def = currentDef(root, view);
  const selection = useEditor((s) => s.selection);
  const change = useEditor((s) => s.change);
  const flow = useReactFlow();
  // Zoomed far out the dot grid would be a dot every pixel or two: costly to raster, no help to the eye.
  const gridVisible = useStore((s) => s.transform[2] >= 0.3);
  const big = doc.nodes.length > CULL_ABOVE; // culled; far out, drawn by FarOverview
  const overview = useStore((s) => overviewShown(s, big));

  const catalog = useEditor(selectCatalog);
  const derived = useFlowNodes(flow, doc, def, selection, catalog);
  // A graph just opened is shown whole when that is readable, else from its left edge at a readable zoom.
  // Only when a graph is opened: the flow instance changes identity on selections and runs, and
  // re-showing then would move the view under the user's pointer.
  const opened = useEditor((s) => s.opened);
  // the graph as it was shown, and whether the user has panned or zoomed since (the first run's reveal is
  // for a graph untouched since it was opened: it never moves a view someone has been working in)
  const shownDoc = useRef<unknown>(null);
  const userMoved = useRef(false);
  // the view as it was set for the graph opened: moved since (F, the wheel, a search), the first run leaves it be
  const shownView = useRef<number[] | null>(null);
  const rf = useStoreApi();
  const flowRef = useRef(flow);
  flowRef.current = flow;
  useLayoutEffect(() => {
    if (!opened) return;
    // pending from the commit that opened the graph, set once shown (what tests wait for)
    const canvas = document.querySelector('.canvas');
    canvas?.setAttribute('data-view', 'pending');
    // once React Flow has the graph's nodes (its setNodes is queued: applied after this commit, before the frame)
    // and every node has its measured size (at most a second), so the bounds are the real ones; a big graph's nodes
    // have theirs from their definitions (node-size.ts): its view is set before a frame draws nodes it will not show
    let frame = 0;
    let cancelled = false;
    const started = performance.now();
    const tick = (first = false) => {
      if (cancelled) return;
      const nodes = flowRef.current.getNodes();
      const s = useEditor.getState();
      // the same ids are not enough: a version restored or a graph opened again has them, at other places
      const at = new Map(nodes.map((n) => [n.id, n.position]));
      const scope = scopeOf(s.doc, s.view).nodes;
      const current =
        nodes.length === scope.length + (s.view.length ? 2 : 0) &&
        scope.every((n) => at.get(n.id)?.x === (n.ui?.x ?? 0) && at.get(n.id)?.y === (n.ui?.y ?? 0));
      const measured = current && nodes.every((n) => n.measured?.width && n.measured?.height);
      if (first && !measured) queueMicrotask(() => tick());
      else if ((!measured || !nodes.length) && performance.now() - started < 1000)
        frame = requestAnimationFrame(() => tick());
      else {
        // the inside of a subgraph just entered is shown whole; a graph opened at a readable zoom
        if (useEditor.getState().view.length) showWholeGraph(flowRef.current, rf.getState());
        else showOpenedGraph(flowRef.current, rf.getState());
        shownDoc.current = useEditor.getState().doc;
        shownView.current = [...rf.getState().transform];
        userMoved.current = false;
        canvas?.setAttribute('data-view', 'set');
      }
    };
    tick(true);
    return () => {
      cancelled = true;
      cancelAnimationFrame(frame);
    };
  }, [opened, rf]);

  useNodePlacement(flowRef);
  useFirstRunReveal(flowRef, rf, shownDoc, userMoved, shownView);
  const edges = useFlowEdges(flow, doc, def);

  const { onNodeDragStop, onConnect, onDelete } = useCanvasEdits(change);

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

  // double-click a subgraph node to go inside it (the breadcrumb goes back out)
  const onNodeDoubleClick = useCallback((e: React.MouseEvent, n: Node) => {
    if ((e.target as HTMLElement).closest('input, textarea, select, button')) return;
    const s = useEditor.getState();
    const node = scopeOf(s.doc, s.view).nodes.find((x) => x.id === n.id);
    const name = node && subgraphName(node.type);
    if (node && name) s.enter({ name, instance: node.id });
  }, []);

  // far out (the overview canvas) a click on a node's box selects it and zooms in on it, to a readable zoom
  const onPaneClick = useCallback(
    (e: React.MouseEvent) => {
      const s = rf.getState();
      if (!overviewShown(s, big)) return;
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const hit = [...s.nodeLookup.values()].reverse().find((n) => {
        const a = n.internals.positionAbsolute;
        const [w, h] = [n.measured.width ?? 0, n.measured.height ?? 0];
        return !n.hidden && p.x >= a.x && p.x <= a.x + w && p.y >= a.y && p.y <= a.y + h;
      });
      if (!hit) return;
      useEditor.getState().select([hit.id]);
      const a = hit.internals.positionAbsolute;
      void flow.setCenter(a.x + (hit.measured.width ?? 0) / 2, a.y + (hit.measured.height ?? 0) / 2, {
        zoom: READABLE_ZOOM,
        duration: 200,
      });
    },
    [big, flow, rf],
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
      defaultEdges={edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodesChange={onNodesChange}
      onNodeDragStop={onNodeDragStop}
      onMoveStart={(event) => {
        // a pan or zoom by the user (programmatic moves have no event)
        if (event) userMoved.current = true;
      }}
      onNodeDoubleClick={onNodeDoubleClick}
      onPaneClick={onPaneClick}
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
      minZoom={MIN_ZOOM}
      maxZoom={4}
      // big graphs render only what is in view (see CULL_ABOVE)
      onlyRenderVisibleElements={big}
      className={overview ? 'overview-on' : undefined}
      proOptions={{ hideAttribution: true }}
      onError={reportFlowError}
    >
      {gridVisible && <Background gap={24} />}
      <FarOverview big={big} />
      <Breadcrumb />
      <Controls />
      {!ready && (
        <Panel position="top-center" className="empty-hint" data-testid="canvas-loading">
          Opening the graph…
        </Panel>
      )}
      {ready && doc.nodes.length === 0 && (
        <Panel position="top-center" className="empty-hint" data-testid="empty-hint">
          An empty graph: press <kbd>Space</kbd> or double-click to add a node, drop a graph file here, or open{' '}
          <b>Examples</b> to start.
        </Panel>
      )}
    </ReactFlow>
  );
}
