import type { Connection, Edge, Node } from '@xyflow/react';
import { useCallback } from 'react';
import { parsePortRef } from '../graph/document';
import { removeNodes } from './graph-edits';
import { refusalOf } from './canvas-ports';
import { IN_NODE, NEW_PORT, OUT_NODE, currentDef, scopeDraft, scopeOf } from './scope';
import { selectCatalog, useEditor, type EditorState } from './store';
import { dropInstanceParams, dropOutputReaders } from './subgraph-edits';

/** The canvas's edits: a drag ended, a wire drawn, nodes or wires deleted; each one undoable step. */
export function useCanvasEdits(change: EditorState['change']) {
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

  return { onNodeDragStop, onConnect, onDelete };
}
