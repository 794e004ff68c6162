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
import { useCallback, useLayoutEffect, useMemo, useRef } from 'react';
import { parsePortRef, type GraphNode } from '../graph/document';
import type { NodeInfo } from '../engine/api';
import { INPUT_REF, subgraphName } from '../graph/subgraph';
import { connectionRefusal, isPortType } from '../graph/ports';
import { portColor } from './colors';
import { removeNodes } from './graph-edits';
import { NodeView } from './NodeView';
import { selectCatalog, selectScope, useEditor } from './store';
import { IN_NODE, NEW_PORT, OUT_NODE, currentDef, scopeDraft, scopeOf } from './scope';
import { SubgraphIoView } from './SubgraphIoView';
import { dropInstanceParams, dropOutputReaders } from './subgraph-edits';
import { Breadcrumb } from './Breadcrumb';
import { CULL_ABOVE, MIN_ZOOM, READABLE_ZOOM, showOpenedGraph, showWholeGraph } from './view';
import { useFirstRunReveal, useNodePlacement } from './canvas-effects';
import { estimateNode } from './node-size';
import { counted, PROFILING } from './render-count';
import { FarOverview, overviewShown } from './FarOverview';

// counted: in a profiling build each node and wire is in a React Profiler (the editor bench counts re-renders)
const nodeTypes = { graph: counted('node', NodeView), sgio: counted('node', SubgraphIoView) };
// (only then: React Flow's own default wire differs from the exported BezierEdge, which gives its path an id)
const edgeTypes: EdgeTypes | undefined = PROFILING
  ? { default: counted('edge', BezierEdge) as EdgeTypes[string] }
  : undefined;

function portTypeOf(nodeId: string, port: string, side: 'source' | 'target'): string | undefined {
  const s = useEditor.getState();
  const def = currentDef(s.doc, s.view);
  // inside a subgraph: its inputs are outputs of the Inputs node, its outputs inputs of the Outputs node
  if (def && nodeId === IN_NODE) return port === NEW_PORT ? 'any' : def.inputs?.[port]?.type;
  if (def && nodeId === OUT_NODE) return 'any';
  const node = scopeOf(s.doc, s.view).nodes.find((n) => n.id === nodeId);
  const info = node && selectCatalog(s).get(node.type);
  if (!info) return undefined;
  return side === 'source' ? info.outputs[port] : info.inputs[port]?.type;
}

/** The handles a node draws (its ports), as one string: a node whose handles change is measured afresh. */
function handlesOf(n: GraphNode, info: NodeInfo | undefined): string {
  const inputs = info ? Object.keys(info.inputs) : Object.keys(n.inputs ?? {});
  return `${n.type}(${inputs.join()})->(${Object.keys(info?.outputs ?? {}).join()})`;
}

/** React Flow's errors (a wire to a handle it cannot find, ...) are ours to fix: said in every build, not just dev. */
function reportFlowError(code: string, message: string): void {
  console.error(`React Flow error ${code}: ${message}`);
}

/** Why a connection is refused (or null): types, self-loops. */
export function refusalOf(c: Connection | Edge): string | null {
  if (!c.source || !c.target || !c.sourceHandle || !c.targetHandle) return 'incomplete connection';
  if (c.source === c.target) return 'a node cannot feed itself';
  if (c.source === IN_NODE && c.target === OUT_NODE) return "a subgraph's input cannot be its output directly";
  const from = portTypeOf(c.source, c.sourceHandle, 'source');
  const to = portTypeOf(c.target, c.targetHandle, 'target');
  if (from === 'any' || to === 'any') return from && to ? null : 'unknown port';
  if (!from || !to || !isPortType(from) || !isPortType(to)) return 'unknown port';
  return connectionRefusal(from, to);
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
  // A graph just opened is shown whole when that is readable, else from its left edge at a readable zoom.
  // Only when a graph is opened: the flow instance changes identity on selections and runs, and
  // re-showing then would move the view under the user's pointer.
  const opened = useEditor((s) => s.opened);
  // the graph as it was shown, and whether the user has panned or zoomed since (the first run's reveal is
  // for a graph untouched since it was opened: it never moves a view someone has been working in)
  const shownDoc = useRef<unknown>(null);
  const userMoved = useRef(false);
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
  useFirstRunReveal(flowRef, rf, shownDoc, userMoved);

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
      const { doc: rootDoc, view: v } = useEditor.getState();
      const doc = scopeOf(rootDoc, v);
      const d0 = currentDef(rootDoc, v);
      const io = all.filter((m) => (m.id === IN_NODE || m.id === OUT_NODE) && d0);
      const dragged = all.filter((m) => {
        const n = doc.nodes.find((x) => x.id === m.id);
        return n && (Math.round(m.position.x) !== (n.ui?.x ?? 0) || Math.round(m.position.y) !== (n.ui?.y ?? 0));
      });
      if (!dragged.length && !io.length) return; // a click, not a move: no edit
      const label = dragged.length > 1 ? `move ${dragged.length} nodes` : `move ${dragged[0]?.id ?? io[0]?.id}`;
      change(label, (d) => {
        const s = scopeDraft(d, v);
        for (const m of dragged) {
          const n = s.nodes.find((x) => x.id === m.id);
          if (n) n.ui = { ...(n.ui ?? { x: 0, y: 0 }), x: Math.round(m.position.x), y: Math.round(m.position.y) };
        }
        const target = v.length ? d.subgraphs?.[v[v.length - 1]!.name] : undefined;
        for (const m of io)
          if (target) {
            const at = { x: Math.round(m.position.x), y: Math.round(m.position.y) };
            target.ui = { ...target.ui, [m.id === IN_NODE ? 'in' : 'out']: at };
          }
      });
    },
    [change],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const refusal = refusalOf(c);
      if (refusal) return useEditor.getState().notify(`connection refused: ${refusal}`, 'error');
      const v = useEditor.getState().view;
      change(`connect ${c.source}.${c.sourceHandle} -> ${c.target}.${c.targetHandle}`, (d) => {
        const s = scopeDraft(d, v);
        const sub = v.length ? d.subgraphs![v[v.length - 1]!.name]! : undefined;
        if (sub && c.target === OUT_NODE) {
          // a wire into the Outputs node: that output now comes from here (a new one on the "+" port)
          const outputs = { ...sub.outputs };
          let name = c.targetHandle!;
          if (name === NEW_PORT) {
            name = c.sourceHandle!;
            for (let i = 2; name in outputs; i++) name = `${c.sourceHandle}_${i}`;
          }
          outputs[name] = `${c.source}.${c.sourceHandle}`;
          sub.outputs = outputs;
          return;
        }
        let ref = `${c.source}.${c.sourceHandle}`;
        if (sub && c.source === IN_NODE) {
          let name = c.sourceHandle!;
          if (name === NEW_PORT) {
            // a wire from the Inputs node's "+": a new input of the type the port takes
            const n = s.nodes.find((x) => x.id === c.target)!;
            const type = selectCatalog(useEditor.getState()).get(n.type)?.inputs[c.targetHandle!]?.type ?? 'Number';
            name = c.targetHandle!;
            for (let i = 2; sub.inputs && name in sub.inputs; i++) name = `${c.targetHandle}_${i}`;
            sub.inputs = { ...sub.inputs, [name]: { type } };
          }
          ref = `$in.${name}`;
        }
        const n = s.nodes.find((x) => x.id === c.target)!;
        n.inputs = { ...n.inputs, [c.targetHandle!]: ref }; // one edge per input: replaces
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
      const v = useEditor.getState().view;
      change(label, (d) => {
        const s = scopeDraft(d, v);
        const sub = v.length ? d.subgraphs?.[v[v.length - 1]!.name] : undefined;
        const name = v[v.length - 1]?.name ?? '';
        for (const e of cut) {
          if (e.target === OUT_NODE && sub?.outputs) {
            const outputs = { ...sub.outputs };
            delete outputs[e.targetHandle!];
            sub.outputs = outputs;
            dropOutputReaders(d, name, [e.targetHandle!]);
            continue;
          }
          const n = s.nodes.find((x) => x.id === e.target);
          if (n?.inputs) delete n.inputs[e.targetHandle!];
        }
        if (ids.size) {
          removeNodes(s, ids);
          // outputs fed by a deleted node go (and what read them on the instances), so do its exposed params
          const goneOutputs = Object.entries(sub?.outputs ?? {})
            .filter(([, ref]) => ids.has(parsePortRef(ref)?.nodeId ?? ''))
            .map(([o]) => o);
          const goneParams = Object.entries(sub?.params ?? {})
            .filter(([, e]) => ids.has(e.node))
            .map(([p]) => p);
          if (sub?.outputs)
            sub.outputs = Object.fromEntries(Object.entries(sub.outputs).filter(([o]) => !goneOutputs.includes(o)));
          if (sub?.params)
            sub.params = Object.fromEntries(Object.entries(sub.params).filter(([p]) => !goneParams.includes(p)));
          dropOutputReaders(d, name, goneOutputs);
          dropInstanceParams(d, name, goneParams);
        }
      });
      if (ids.size) useEditor.getState().select([]);
    },
    [change],
  );

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
