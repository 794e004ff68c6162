import { clearShift, estimatedSize } from './placement';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { NodeInfo } from '../engine/api';
import { canConnect, isPortType } from '../graph/ports';
import { familyColor } from './colors';
import { paletteRank, rankByQuery } from './search-rank';
import { freshId, selectCatalog, selectScope, useEditor } from './store';
import { scopeDraft } from './scope';
import { wouldIncludeItself } from './subgraph-edits';
import { subgraphType } from '../graph/subgraph';

/** Node types that can take (or feed) the port being dragged, with the port to wire. */
function compatiblePort(
  info: NodeInfo,
  from: NonNullable<ReturnType<typeof useEditor.getState>['connecting']>,
): string | null {
  if (!isPortType(from.type)) return null;
  if (from.side === 'source') {
    const hit = Object.entries(info.inputs).find(([, spec]) => canConnect(from.type as never, spec.type));
    return hit?.[0] ?? null;
  }
  const hit = Object.entries(info.outputs).find(([, type]) => canConnect(type, from.type as never));
  return hit?.[0] ?? null;
}

/** The searchable node palette: opens at the cursor; from a dangling connection it offers only compatible nodes. */
export function Palette() {
  const palette = useEditor((s) => s.palette);
  const catalog = useEditor(selectCatalog);
  // inside a subgraph, its own type (and the ones it is inside) cannot be added: it would include itself
  // (directly or through the subgraphs it uses)
  const inside = useEditor((s) =>
    s.view.length
      ? Object.keys(s.doc.subgraphs ?? {})
          .filter((name) => wouldIncludeItself(s.doc, s.view, [name]))
          .map(subgraphType)
          .join('|')
      : '',
  );
  const change = useEditor((s) => s.change);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    setQuery('');
    setActive(0);
    input.current?.focus();
  }, [palette]);
  const items = useMemo(() => {
    if (!palette) return [];
    const excluded = new Set(inside.split('|'));
    const offered = [...catalog.values()]
      .filter((info) => !excluded.has(info.type))
      .map((info) => ({ info, port: palette.from ? compatiblePort(info, palette.from) : null }))
      .filter(({ port }) => !palette.from || port);
    return rankByQuery(offered, (item) => paletteRank(item.info, query));
  }, [catalog, palette, query, inside]);
  if (!palette) return null;
  const close = () => useEditor.setState({ palette: null });
  const add = (i: number) => {
    const item = items[i];
    if (!item) return;
    const id = freshId(selectScope(useEditor.getState()), item.info.type);
    const view = useEditor.getState().view;
    const from = palette.from;
    // where the pointer was, or the nearest spot clear of the nodes there
    const want = { x: Math.round(palette.flowX), y: Math.round(palette.flowY) };
    const shift = clearShift([{ ui: want }], () => estimatedSize(item.info));
    const at = { x: want.x + shift.dx, y: want.y + shift.dy };
    change(`add ${id}`, (d) => {
      const s = scopeDraft(d, view);
      const node: (typeof d.nodes)[number] = {
        id,
        type: item.info.type,
        // files record each node's type version (subgraph types have none of their own)
        ...(item.info.type.startsWith('subgraph/') ? {} : { version: item.info.version }),
        ui: at,
      };
      if (from && item.port && from.side === 'source') node.inputs = { [item.port]: `${from.nodeId}.${from.port}` };
      s.nodes.push(node);
      if (from && item.port && from.side === 'target') {
        const target = s.nodes.find((n) => n.id === from.nodeId)!;
        target.inputs = { ...target.inputs, [from.port]: `${id}.${item.port}` };
      }
    });
    useEditor.getState().select([id]);
    close();
  };
  return (
    <div className="palette-backdrop" onMouseDown={close}>
      <div
        className="palette"
        style={{
          left: Math.min(palette.x, window.innerWidth - 340),
          top: Math.min(palette.y, window.innerHeight - 420),
        }}
        onMouseDown={(e) => e.stopPropagation()}
        role="dialog"
        aria-label="Add node"
      >
        <input
          ref={input}
          placeholder={
            palette.from ? `nodes that take ${palette.from.type}…` : 'search nodes by name, family or port type…'
          }
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') close();
            else if (e.key === 'ArrowDown') {
              setActive((a) => Math.min(items.length - 1, a + 1));
              e.preventDefault();
            } else if (e.key === 'ArrowUp') {
              setActive((a) => Math.max(0, a - 1));
              e.preventDefault();
            } else if (e.key === 'Enter') add(active);
          }}
        />
        <ul>
          {items.map(({ info }, i) => (
            <li
              key={info.type}
              className={i === active ? 'active' : ''}
              onMouseEnter={() => setActive(i)}
              onClick={() => add(i)}
              data-type={info.type}
            >
              <span className="dot" style={{ background: familyColor(info.family) }} />
              <b>{info.title}</b> <small>{info.type}</small>
              <div className="desc">{info.description}</div>
            </li>
          ))}
          {items.length === 0 && <li className="empty">no node matches</li>}
        </ul>
      </div>
    </div>
  );
}
