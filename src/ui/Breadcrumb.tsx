import { Panel } from '@xyflow/react';
import { useEditor } from './store';

/** Where the canvas is: "Graph › low (unclip-stack)"; a click on a crumb goes back out to it. */
export function Breadcrumb() {
  const view = useEditor((s) => s.view);
  const title = useEditor((s) => s.doc.meta?.title ?? 'Graph');
  const leaveTo = useEditor((s) => s.leaveTo);
  const subgraphs = useEditor((s) => s.doc.subgraphs);
  if (!view.length) return null;
  return (
    <Panel position="top-left" className="breadcrumb" data-testid="breadcrumb">
      <button className="crumb" onClick={() => leaveTo(0)} title="back to the graph">
        {title}
      </button>
      {view.map((f, i) => (
        <span key={i}>
          {' › '}
          {i === view.length - 1 ? (
            <b className="crumb current">
              {f.instance} <small>({subgraphs?.[f.name]?.title ?? f.name})</small>
            </b>
          ) : (
            <button className="crumb" onClick={() => leaveTo(i + 1)}>
              {f.instance}
            </button>
          )}
        </span>
      ))}
      <span className="hint"> · editing the subgraph changes every node of its type</span>
    </Panel>
  );
}
