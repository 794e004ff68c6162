import { useMemo, useRef } from 'react';
import { sweepLayout } from '../engine/sweep';
import { PreviewCanvas } from './PreviewCanvas';
import { docCatalog } from './scope';
import { selectCatalog, useEditor } from './store';
import { cancelSweep, checkAxes, loadCell, openSweepFile, runSweep, saveSweepPng } from './sweep-run';
import { QueueSweepButton } from './QueueSweepButton';
import { newAxis, toggleSweep, useSweep, type AxisDraft, type SweepCell } from './sweep-state';
import { SidePanel } from './side-panel';

const setAxes = (f: (axes: AxisDraft[]) => AxisDraft[]) => useSweep.setState((s) => ({ axes: f(s.axes) }));
const patchAxis = (key: number, patch: Partial<AxisDraft>) =>
  setAxes((axes) => axes.map((a) => (a.key === key ? { ...a, ...patch } : a)));

/** The param a new axis starts on: a seed of the selected node, else its first param, else the graph's first seed. */
function firstTarget(): string {
  const s = useEditor.getState();
  const catalog = selectCatalog(s);
  const taken = new Set(useSweep.getState().axes.map((a) => a.target));
  const params = (id: string) => {
    const node = s.doc.nodes.find((n) => n.id === id);
    const ps = Object.entries(catalog.get(node?.type ?? '')?.params ?? {}).filter(([p]) => !taken.has(`${id}.${p}`));
    const pick = ps.find(([, i]) => i.kind === 'seed') ?? ps.find(([, i]) => i.kind === 'number') ?? ps[0];
    return pick ? `${id}.${pick[0]}` : '';
  };
  const selected = s.selection[0] && params(s.selection[0]);
  if (selected) return selected;
  const seedNode = s.doc.nodes.find((n) =>
    Object.entries(catalog.get(n.type)?.params ?? {}).some(([p, i]) => i.kind === 'seed' && !taken.has(`${n.id}.${p}`)),
  );
  return seedNode ? params(seedNode.id) : '';
}

/**
 * The Sweep panel (toolbar: Sweep): axes of `<node>.<param>` and values in the CLI's grid syntax, how many runs
 * they make, Run and Cancel, the grid filling in cell by cell with its rows and columns labelled, Save PNG.
 */
export function SweepPanel() {
  const open = useSweep((s) => s.open);
  const drafts = useSweep((s) => s.axes);
  const run = useSweep((s) => s.run);
  const doc = useEditor((s) => s.doc);
  const catalog = useEditor((s) => s.catalog);
  // the node types with the graph's subgraph types, rebuilt when either changes
  const types = useMemo(() => docCatalog(catalog, doc), [doc, catalog]);
  const checked = useMemo(() => checkAxes(drafts, doc, types), [drafts, doc, types]);
  const targets = useMemo(
    () => doc.nodes.map((n) => ({ id: n.id, params: Object.keys(types.get(n.type)?.params ?? {}) })),
    [doc, types],
  );
  const gridFile = useRef<HTMLInputElement>(null);
  if (!open) return null;
  const running = run?.running ?? false;
  const done = run?.cells.filter((c) => c.status !== 'pending' && c.status !== 'running').length ?? 0;
  return (
    <SidePanel name="Sweep" className="sweep" closeTitle="hide the Sweep panel" onClose={toggleSweep}>
      <p className="hint">
        Values: <code>a,b,c</code>, <code>lo..hi</code> (integers) or a text file, one value a line.
      </p>
      <ol className="axes">
        {drafts.map((a, i) => (
          <li key={a.key} data-testid="sweep-axis">
            <select
              aria-label={`axis ${i + 1} param`}
              value={a.target}
              onChange={(e) => patchAxis(a.key, { target: e.target.value })}
            >
              <option value="">param…</option>
              {targets.map((t) => (
                <optgroup key={t.id} label={t.id}>
                  {t.params.map((p) => (
                    <option key={p} value={`${t.id}.${p}`}>
                      {t.id}.{p}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
            {a.file ? (
              <span className="file" title={`${a.file.text.split('\n').filter(Boolean).length} lines`}>
                @{a.file.name}{' '}
                <button className="small" onClick={() => patchAxis(a.key, { file: undefined })} title="type values">
                  ✕
                </button>
              </span>
            ) : (
              <input
                aria-label={`axis ${i + 1} values`}
                placeholder="1..4 or a,b,c"
                value={a.text}
                onChange={(e) => patchAxis(a.key, { text: e.target.value })}
              />
            )}
            <label className="small file-pick" title="values from a text file, one a line">
              file…
              <input
                type="file"
                accept=".txt,text/plain"
                hidden
                data-testid="sweep-values-file"
                onChange={async (e) => {
                  const f = e.target.files?.[0];
                  if (f) patchAxis(a.key, { file: { name: f.name, text: await f.text() } });
                  e.target.value = '';
                }}
              />
            </label>
            <button
              className="small"
              aria-label={`remove axis ${i + 1}`}
              onClick={() => setAxes((axes) => axes.filter((x) => x.key !== a.key))}
            >
              −
            </button>
          </li>
        ))}
      </ol>
      <div className="row">
        <button onClick={() => setAxes((axes) => [...axes, newAxis(firstTarget())])} data-testid="sweep-add">
          + axis
        </button>
        <span data-testid="sweep-count" className="count">
          {checked.runs} run{checked.runs === 1 ? '' : 's'}
        </span>
      </div>
      {checked.problems.length > 0 && (
        <ul className="error-text" data-testid="sweep-errors">
          {checked.problems.map((p, k) => (
            <li key={k}>{p}</li>
          ))}
        </ul>
      )}
      <div className="row">
        <button
          className="primary"
          data-testid="sweep-run"
          disabled={running || checked.problems.length > 0 || checked.runs === 0}
          onClick={() => void runSweep()}
        >
          Run sweep
        </button>
        <QueueSweepButton disabled={running || checked.problems.length > 0 || checked.runs === 0} />
        <button data-testid="sweep-cancel" disabled={!running} onClick={() => void cancelSweep()}>
          Cancel
        </button>
        <button data-testid="sweep-save" disabled={!run || running} onClick={saveSweepPng}>
          Save PNG
        </button>
        <button onClick={() => gridFile.current?.click()} title="open a grid PNG: its graph and its sweep">
          Open grid…
        </button>
        <input
          ref={gridFile}
          type="file"
          accept=".png,image/png"
          hidden
          data-testid="sweep-open"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) await openSweepFile(f);
            e.target.value = '';
          }}
        />
      </div>
      {run && (
        <>
          <p className="sweep-status" data-testid="sweep-progress" data-state={running ? 'running' : 'finished'}>
            {done} / {run.cells.length}
            {running ? ' running' : run.cancelled ? ' · cancelled' : ' · finished'}
          </p>
          <SweepGrid cells={run.cells} axes={run.axes} />
        </>
      )}
    </SidePanel>
  );
}

function SweepGrid({ cells, axes }: { cells: SweepCell[]; axes: Parameters<typeof sweepLayout>[0] }) {
  const layout = sweepLayout(axes);
  const n = layout.cols.length;
  return (
    <table className="sweep-grid" data-testid="sweep-grid">
      <thead>
        <tr>
          <th className="axis-title" data-testid="sweep-row-title">
            {layout.rowTitle}
            {layout.rowTitle && layout.colTitle ? ' \\ ' : ''}
            <span data-testid="sweep-col-title">{layout.colTitle}</span>
          </th>
          {layout.cols.map((c, k) => (
            <th key={k} data-testid="sweep-col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {layout.rows.map((r, i) => (
          <tr key={i}>
            <th data-testid="sweep-row">{r}</th>
            {cells.slice(i * n, i * n + n).map((c, k) => (
              <td
                key={k}
                className={`cell ${c.status}`}
                data-testid="sweep-cell"
                data-status={c.status}
                data-ran={c.ran?.join(',')}
                data-cached={c.cached?.join(',')}
                title={
                  Object.entries(c.point)
                    .map(([p, v]) => `${p}=${v}`)
                    .join(' ') +
                  (c.ms !== undefined ? ` · ${Math.round(c.ms)} ms, ${c.ran?.length ?? 0} ran` : '') +
                  (c.error ? ` · ${c.error}` : '') +
                  (c.status === 'done' ? ' · click: load these params into the graph' : '')
                }
                onClick={() => c.status === 'done' && loadCell(i * n + k)}
              >
                {c.thumb ? (
                  <PreviewCanvas preview={c.thumb} scale={64 / Math.max(c.thumb.width, c.thumb.height)} />
                ) : (
                  <span className="status">{c.status === 'running' ? (c.step ?? 'running') : c.status}</span>
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The inspector's "sweep this": a param of the selected node becomes a new axis of the Sweep panel (opened). */
export function SweepThis({ id, params }: { id: string; params: string[] }) {
  if (!params.length) return null;
  return (
    <select
      className="sweep-this"
      aria-label="sweep a param"
      data-testid="sweep-this"
      value=""
      onChange={(e) => {
        const target = `${id}.${e.target.value}`;
        useSweep.setState((s) => ({
          open: true,
          axes: s.axes.some((a) => a.target === target) ? s.axes : [...s.axes, newAxis(target)],
        }));
      }}
    >
      <option value="">Sweep a param…</option>
      {params.map((p) => (
        <option key={p} value={p}>
          {p}
        </option>
      ))}
    </select>
  );
}
