import { serializeGraph } from '../graph/validate';
import { currentDef } from './scope';
import { useEditor } from './store';
import { groupSelection, subgraphFile, toggleExposed, ungroup } from './subgraph-edits';

/** Downloads a text file. */
function download(name: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Groups the selection (Ctrl+G); says why not when it cannot. */
export function groupSelected(): void {
  const { selection, notify } = useEditor.getState();
  const r = groupSelection(selection);
  if ('refusal' in r) notify(`cannot group: ${r.refusal}`, 'error');
  else notify(`grouped as ${r.id}: double-click it to go inside, Ctrl+Shift+G to ungroup`);
}

/** Ungroups the selected subgraph node (Ctrl+Shift+G). */
export function ungroupSelected(): void {
  const { selection, notify } = useEditor.getState();
  const refusal = selection.length === 1 ? ungroup(selection[0]!) : 'select one subgraph node to ungroup';
  if (refusal) notify(`cannot ungroup: ${refusal}`, 'error');
}

export function GroupActions({ ids }: { ids: string[] }) {
  return (
    <div className="subgraph-actions">
      <button data-testid="group" onClick={groupSelected} disabled={!ids.length}>
        Group as subgraph
      </button>{' '}
      <small className="hint">Ctrl+G</small>
    </div>
  );
}

/** On a subgraph node: go inside, ungroup, save the definition as a file to Insert into other graphs. */
export function SubgraphActions({ id, name }: { id: string; name: string }) {
  const enter = useEditor((s) => s.enter);
  const def = useEditor((s) => s.doc.subgraphs?.[name]);
  // the title every node of this type shows (one undoable edit, on Enter or leaving the field)
  const rename = (title: string) => {
    const t = title.trim().slice(0, 200);
    if (!t || t === (def?.title ?? name)) return;
    useEditor.getState().change(`rename subgraph ${name}`, (d) => {
      d.subgraphs![name]!.title = t;
    });
  };
  return (
    <div className="subgraph-actions">
      <label className="subgraph-title">
        Title{' '}
        <input
          key={def?.title ?? name}
          data-testid="subgraph-title"
          defaultValue={def?.title ?? name}
          onBlur={(e) => rename(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') rename((e.target as HTMLInputElement).value);
          }}
        />
      </label>
      <button data-testid="open-subgraph" onClick={() => enter({ name, instance: id })}>
        Open subgraph
      </button>{' '}
      <button data-testid="ungroup" onClick={ungroupSelected}>
        Ungroup
      </button>{' '}
      <button
        data-testid="save-subgraph"
        onClick={() => download(`${name}.subgraph.json`, serializeGraph(subgraphFile(useEditor.getState().doc, name)))}
        title="A graph file holding this subgraph: Insert it into another graph to use it as a node type"
      >
        Save subgraph
      </button>
    </div>
  );
}

/** Inside a subgraph: which of the node's params show on the subgraph's node. */
export function ExposeParams({ id, params }: { id: string; params: string[] }) {
  const view = useEditor((s) => s.view);
  const def = useEditor((s) => currentDef(s.doc, s.view));
  if (!def || !params.length) return null;
  const exposed = new Set(
    Object.values(def.params ?? {})
      .filter((e) => e.node === id)
      .map((e) => e.param),
  );
  return (
    <fieldset className="expose">
      <legend>Show on the subgraph node</legend>
      {params.map((p) => {
        const toggle = () => toggleExposed(view, id, p);
        return (
          <label key={p}>
            <input type="checkbox" data-expose={p} checked={exposed.has(p)} onChange={toggle} /> {p}
          </label>
        );
      })}
    </fieldset>
  );
}
