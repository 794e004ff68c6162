import { useReactFlow } from '@xyflow/react';
import { useRef, useState } from 'react';
import { ModelsMenu } from './ModelsPanel';
import { emptyGraph } from '../graph/document';
import { briefText, formatIssue } from '../graph/errors';
import { MAX_SHARE_LINK, allowHeldReferences, downloadGraph, openGraphFile, insertGraphFile, shareLink } from './files';
import { ExamplesMenu } from './ExamplesMenu';
import { EngineChoice } from './EngineChoice';
import { cancelRun, runGraph } from './run';
import { KEYMAP } from './keymap';
import { BACKEND_KEY, useEditor } from './store';
import type { Backend } from '../engine/backend';
import { flushEdits, recordVersion, toggleHistory, useVersions } from './versions';
import { toggleSweep, useSweep } from './sweep-state';

/** The editor's chrome: the toolbar and the banners above the canvas (held references, load issues, help, notices). */
export function isTyping(e: Event): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

export function Toolbar() {
  const { doc, past, future, running, runOnChange, backend, lastRun, undo, redo } = useEditor();
  const flow = useReactFlow();
  return (
    <header className="toolbar">
      <span className="brand">unclip-studio</span>
      <button
        onClick={() => {
          void flushEdits();
          useEditor.getState().replaceDoc(emptyGraph(), 'new graph');
          void recordVersion(useEditor.getState().doc, 'new');
          useEditor.getState().notify('new graph: Undo brings the old one back (also under Examples > Recent)');
        }}
      >
        New
      </button>
      <GraphFileButton label="Open…" testId="open-file" onFile={openGraphFile} />
      <GraphFileButton
        label="Insert…"
        testId="insert-file"
        title="Add a graph file's nodes to this graph (a saved subgraph becomes a node you can reuse)"
        onFile={(f) => {
          // the inserted nodes land in the middle of the canvas
          const pane = document.querySelector('.react-flow')?.getBoundingClientRect();
          const at = pane
            ? flow.screenToFlowPosition({ x: pane.x + pane.width / 2 - 100, y: pane.y + pane.height / 2 - 80 })
            : undefined;
          return insertGraphFile(f, at);
        }}
      />
      <button onClick={() => void downloadGraph(doc)}>Save</button>
      <ExamplesMenu />
      <button
        onClick={async () => {
          const link = shareLink(doc);
          if (link.length > MAX_SHARE_LINK) {
            void downloadGraph(doc);
            useEditor
              .getState()
              .notify(
                `this graph needs a ${Math.round(link.length / 1000)} kB link (links stay under ` +
                  `${MAX_SHARE_LINK / 1000} kB to survive chat and mail): saved it as a file to share instead`,
              );
            return;
          }
          history.replaceState(null, '', link);
          try {
            await navigator.clipboard.writeText(link);
            useEditor.getState().notify('share link copied to the clipboard');
          } catch {
            useEditor.getState().notify('share link is in the address bar');
          }
        }}
        aria-label="Share link"
        title="a link that opens this graph (copied to the clipboard)"
      >
        Share
      </button>
      <span className="sep" />
      <button
        onClick={undo}
        disabled={!past.length}
        title={past.length ? `undo ${past[past.length - 1]!.label}` : 'nothing to undo'}
        aria-label="Undo"
      >
        ↶
      </button>
      <button
        onClick={redo}
        disabled={!future.length}
        title={future.length ? `redo ${future[0]!.label}` : 'nothing to redo'}
        aria-label="Redo"
      >
        ↷
      </button>
      <span className="sep" />
      <button className="primary" onClick={() => void runGraph()} disabled={running} data-testid="run">
        Run
      </button>
      <button onClick={() => void cancelRun()} disabled={!running}>
        Cancel
      </button>
      <label className="toggle" title="run on change: the graph runs again 0.4 s after each edit">
        <input
          type="checkbox"
          checked={runOnChange}
          onChange={(e) => useEditor.setState({ runOnChange: e.target.checked })}
        />{' '}
        auto-run
      </label>
      <label
        className="toggle"
        title="where the models run: WASM on the CPU, or WebGPU; auto picks WebGPU for big models on a hardware GPU"
      >
        <select
          aria-label="models on"
          value={backend}
          data-testid="backend"
          onChange={(e) => {
            const b = e.target.value as Backend;
            useEditor.setState({ backend: b });
            try {
              localStorage.setItem(BACKEND_KEY, b);
            } catch {
              /* private mode: kept for this visit */
            }
          }}
        >
          <option value="auto">models: auto</option>
          <option value="wasm">models: WASM</option>
          <option value="webgpu">models: WebGPU</option>
        </select>
      </label>
      <EngineChoice />
      <span className="title" title={doc.meta?.description}>
        {doc.meta?.title ?? 'Untitled'}
      </span>
      {lastRun && <RunSummary run={lastRun} />}
    </header>
  );
}

/**
 * The panels' toggles (History, Sweep, Models, the shortcuts), at the head of the side column beside the panels they
 * open: the toolbar keeps one row at 1400 px for the graph's own actions and the run's status.
 */
export function PanelToggles() {
  const historyOpen = useVersions((s) => s.open);
  const sweepOpen = useSweep((s) => s.open);
  return (
    <nav className="panel-toggles" aria-label="panels">
      <button
        onClick={toggleHistory}
        aria-pressed={historyOpen}
        data-testid="history-toggle"
        title="runs (pictures with their graph) and versions of the graph, restorable (H)"
      >
        History
      </button>
      <button
        onClick={toggleSweep}
        aria-pressed={sweepOpen}
        data-testid="sweep-toggle"
        title="run the graph over a grid of param values"
      >
        Sweep
      </button>
      <ModelsMenu />
      <button
        onClick={() => useEditor.setState((s) => ({ helpOpen: !s.helpOpen }))}
        aria-label="Keyboard shortcuts"
        title="keyboard shortcuts"
      >
        ?
      </button>
    </nav>
  );
}

/** What the last run did, on the toolbar's right (shortened first when the window is narrow, whole in its title). */
function RunSummary({ run }: { run: NonNullable<ReturnType<typeof useEditor.getState>['lastRun']> }) {
  const text =
    `${run.cancelled ? 'cancelled' : run.ok ? 'done' : 'failed'} in ${Math.round(run.ms)} ms · ` +
    `${run.ran} run · ${run.fromCache} cached${run.failed ? ` · ${run.failed} failed` : ''}`;
  return (
    <span className="summary" data-testid="run-summary" title={text}>
      {text}
    </span>
  );
}

export function HeldReferences() {
  const held = useEditor((s) => s.heldRefs);
  if (!held) return null;
  return (
    <div className="issues held" role="alert" data-testid="held-refs">
      <b>
        {held.source} reads {held.refs.length} file{held.refs.length > 1 ? 's or URLs' : ' or URL'} from outside the
        app. Nothing has been fetched: the nodes that read them fail until you allow them.
      </b>
      <ul>
        {held.refs.map((r, k) => (
          <li key={k}>
            <code>
              {r.nodeId}.{r.param}
            </code>
            : <code className="ref">{r.value.length > 200 ? `${r.value.slice(0, 197)}...` : r.value}</code>
          </li>
        ))}
      </ul>
      <button onClick={() => void allowHeldReferences()} data-testid="allow-refs">
        Allow and fetch
      </button>
      <button onClick={() => useEditor.setState({ heldRefs: null })}>Keep held</button>
    </div>
  );
}

/** How many of a refused file's problems the banner lists before "N more" (a file may have thousands). */
export const ISSUES_SHOWN = 5;

export function LoadIssues() {
  const issues = useEditor((s) => s.loadIssues);
  // "show all" holds for the refusal it was pressed on, not the next one
  const [allOf, setAllOf] = useState<object | null>(null);
  if (!issues) return null;
  const all = allOf === issues;
  const n = issues.issues.length;
  const shown = all ? issues.issues : issues.issues.slice(0, ISSUES_SHOWN);
  // Dismiss comes first and the list scrolls within a bounded banner: the canvas always keeps its height
  return (
    <div className="issues" role="alert" data-testid="load-issues">
      <div className="issues-head">
        <b>
          {briefText(issues.source, 120)} was not opened ({n} problem{n > 1 ? 's' : ''}); the current graph is
          unchanged:
        </b>
        <button onClick={() => useEditor.setState({ loadIssues: null })}>Dismiss</button>
      </div>
      <ul>
        {shown.map((i, k) => (
          <li key={k}>{formatIssue(i)}</li>
        ))}
      </ul>
      {n > shown.length && (
        <button className="small" onClick={() => setAllOf(issues)} data-testid="more-issues">
          and {n - shown.length} more: show all
        </button>
      )}
    </div>
  );
}

export function Help() {
  const open = useEditor((s) => s.helpOpen);
  if (!open) return null;
  return (
    <div className="help" role="dialog" aria-label="Keyboard shortcuts">
      <h3>Keyboard shortcuts</h3>
      <table>
        <tbody>
          {KEYMAP.map((a) => (
            <tr key={a.id}>
              <td>
                <kbd>{a.keys}</kbd>
              </td>
              <td>{a.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={() => useEditor.setState({ helpOpen: false })}>Close</button>
    </div>
  );
}

export function Notice() {
  const notice = useEditor((s) => s.notice);
  return notice ? (
    <div className={`notice ${notice.kind}`} role="status" data-testid="notice">
      {notice.text}
    </div>
  ) : null;
}

/** A button that picks a graph file (JSON, or a PNG carrying its graph) and hands it on. */
function GraphFileButton(props: { label: string; testId: string; title?: string; onFile: (f: File) => unknown }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button onClick={() => input.current?.click()} title={props.title}>
        {props.label}
      </button>
      <input
        ref={input}
        type="file"
        accept=".json,.png,application/json,image/png"
        hidden
        data-testid={props.testId}
        onChange={async (e) => {
          const f = e.target.files?.[0];
          if (f) await props.onFile(f);
          e.target.value = '';
        }}
      />
    </>
  );
}
