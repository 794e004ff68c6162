import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { emptyGraph, type GraphDocument } from '../graph/document';
import { formatIssue } from '../graph/errors';
import { serializeGraph } from '../graph/validate';
import { Canvas } from './Canvas';
import { getEngine } from './engine-client';
import {
  AUTOSAVE_KEY,
  EXAMPLES,
  MAX_SHARE_LINK,
  allowHeldReferences,
  downloadGraph,
  openGraphFile,
  graphFromHash,
  holdReferences,
  openGraphText,
  shareLink,
} from './files';
import { Inspector } from './Inspector';
import { Palette } from './Palette';
import { cancelRun, runGraph } from './run';
import { recentGraphs, rememberRecent } from './recent';
import { SHORTCUTS, bypassSelection, duplicateSelection, pasteGraphText, selectionAsGraph } from './shortcuts';
import { useEditor } from './store';

export const DEFAULT_EXAMPLE = 'text-to-image';

function isTyping(e: Event): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

function Toolbar() {
  const { doc, past, future, running, runOnChange, lastRun, undo, redo } = useEditor();
  const fileInput = useRef<HTMLInputElement>(null);
  const [examplesOpen, setExamplesOpen] = useState(false);
  return (
    <header className="toolbar">
      <span className="brand">unclip-studio</span>
      <button
        onClick={() => {
          useEditor.getState().replaceDoc(emptyGraph(), 'new graph');
          useEditor.getState().notify('new graph: Undo brings the old one back (also under Examples > Recent)');
        }}
      >
        New
      </button>
      <button onClick={() => fileInput.current?.click()}>Open…</button>
      <input
        ref={fileInput}
        type="file"
        accept=".json,.png,application/json,image/png"
        hidden
        data-testid="open-file"
        onChange={async (e) => {
          const f = e.target.files?.[0];
          if (f) await openGraphFile(f);
          e.target.value = '';
        }}
      />
      <button onClick={() => downloadGraph(doc)}>Save</button>
      <div className="menu">
        <button onClick={() => setExamplesOpen((o) => !o)} aria-expanded={examplesOpen}>
          Examples ▾
        </button>
        {examplesOpen && (
          <ul className="menu-list" onMouseLeave={() => setExamplesOpen(false)}>
            {recentGraphs().length > 0 && (
              <li className="menu-header">Recent (graphs New, Open or an example replaced)</li>
            )}
            {recentGraphs().map((r, i) => (
              <li
                key={`recent-${i}`}
                data-recent={i}
                onClick={async () => {
                  setExamplesOpen(false);
                  await openGraphText(r.text, `"${r.title}" (recent)`);
                }}
              >
                <b>{r.title}</b>
                <div className="desc">replaced {new Date(r.savedAt).toLocaleString()}</div>
              </li>
            ))}
            {recentGraphs().length > 0 && <li className="menu-header">Examples</li>}
            {EXAMPLES.map((ex) => (
              <li
                key={ex.name}
                data-example={ex.name}
                onClick={async () => {
                  setExamplesOpen(false);
                  await openGraphText(ex.text, `${ex.name}.json`);
                }}
              >
                <b>{ex.title}</b>
                <div className="desc">{ex.description}</div>
              </li>
            ))}
          </ul>
        )}
      </div>
      <button
        onClick={async () => {
          const link = shareLink(doc);
          if (link.length > MAX_SHARE_LINK) {
            downloadGraph(doc);
            useEditor
              .getState()
              .notify(
                `this graph needs a ${Math.round(link.length / 1000)} kB link (links stay under ${MAX_SHARE_LINK / 1000} kB to survive chat and mail): saved it as a file to share instead`,
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
      >
        Share link
      </button>
      <span className="sep" />
      <button
        onClick={undo}
        disabled={!past.length}
        title={past.length ? `undo ${past[past.length - 1]!.label}` : 'nothing to undo'}
      >
        Undo
      </button>
      <button
        onClick={redo}
        disabled={!future.length}
        title={future.length ? `redo ${future[0]!.label}` : 'nothing to redo'}
      >
        Redo
      </button>
      <span className="sep" />
      <button className="primary" onClick={() => void runGraph()} disabled={running} data-testid="run">
        Run
      </button>
      <button onClick={() => void cancelRun()} disabled={!running}>
        Cancel
      </button>
      <label className="toggle">
        <input
          type="checkbox"
          checked={runOnChange}
          onChange={(e) => useEditor.setState({ runOnChange: e.target.checked })}
        />{' '}
        run on change
      </label>
      <span className="sep" />
      <button onClick={() => useEditor.setState((s) => ({ helpOpen: !s.helpOpen }))}>?</button>
      <span className="title" title={doc.meta?.description}>
        {doc.meta?.title ?? 'Untitled'}
      </span>
      {lastRun && (
        <span className="summary" data-testid="run-summary">
          {lastRun.cancelled ? 'cancelled' : lastRun.ok ? 'done' : 'failed'} in {Math.round(lastRun.ms)} ms ·{' '}
          {lastRun.ran} run · {lastRun.fromCache} cached{lastRun.failed ? ` · ${lastRun.failed} failed` : ''}
        </span>
      )}
    </header>
  );
}

function HeldReferences() {
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

function LoadIssues() {
  const issues = useEditor((s) => s.loadIssues);
  if (!issues) return null;
  return (
    <div className="issues" role="alert" data-testid="load-issues">
      <b>
        {issues.source} was not opened ({issues.issues.length} problem{issues.issues.length > 1 ? 's' : ''}); the
        current graph is unchanged:
      </b>
      <ul>
        {issues.issues.map((i, k) => (
          <li key={k}>{formatIssue(i)}</li>
        ))}
      </ul>
      <button onClick={() => useEditor.setState({ loadIssues: null })}>Dismiss</button>
    </div>
  );
}

function Help() {
  const open = useEditor((s) => s.helpOpen);
  if (!open) return null;
  return (
    <div className="help" role="dialog" aria-label="Keyboard shortcuts">
      <h3>Keyboard shortcuts</h3>
      <table>
        <tbody>
          {SHORTCUTS.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={() => useEditor.setState({ helpOpen: false })}>Close</button>
    </div>
  );
}

function Notice() {
  const notice = useEditor((s) => s.notice);
  return notice ? (
    <div className={`notice ${notice.kind}`} role="status" data-testid="notice">
      {notice.text}
    </div>
  ) : null;
}

function Editor() {
  const flow = useReactFlow();
  const mouse = useRef({ x: 200, y: 200 });
  const [ready, setReady] = useState(false);

  // Start-up: catalog from the worker, then a share link, the autosave, or the default example.
  useEffect(() => {
    void (async () => {
      const engine = getEngine();
      useEditor.getState().setCatalog(await engine.catalog());
      const fromHash = graphFromHash(location.hash);
      const saved = localStorage.getItem(AUTOSAVE_KEY);
      const example = EXAMPLES.find((e) => e.name === DEFAULT_EXAMPLE) ?? EXAMPLES[0];
      let opened = false;
      if (fromHash) {
        opened = await openGraphText(fromHash, 'the shared link', { undoable: false });
        // the autosave would be overwritten by the shared graph: keep the work it holds in Recent
        if (opened && saved) {
          try {
            rememberRecent(JSON.parse(saved) as GraphDocument);
          } catch {
            /* not a graph */
          }
        }
      }
      if (!opened && saved) opened = await openGraphText(saved, 'the autosave', { undoable: false });
      if (!opened && example) await openGraphText(example.text, `${example.name}.json`, { undoable: false });
      setReady(true);
      setTimeout(() => flow.fitView({ padding: 0.15 }), 50);
    })();
  }, [flow]);

  // Autosave and run-on-change.
  useEffect(() => {
    if (!ready) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let runTimer: ReturnType<typeof setTimeout> | undefined;
    let last: GraphDocument = useEditor.getState().doc;
    return useEditor.subscribe((s) => {
      if (s.doc === last) return;
      last = s.doc;
      clearTimeout(timer);
      timer = setTimeout(() => localStorage.setItem(AUTOSAVE_KEY, serializeGraph(useEditor.getState().doc)), 250);
      if (s.runOnChange) {
        clearTimeout(runTimer);
        runTimer = setTimeout(() => void runGraph(), 400);
      }
    });
  }, [ready]);

  const validatePasted = useCallback(async (text: string): Promise<GraphDocument | null> => {
    try {
      const raw = JSON.parse(text) as GraphDocument;
      if (raw?.format !== 'unclip-studio/graph' || !Array.isArray(raw.nodes)) return null; // not a graph: an ordinary paste
    } catch {
      return null;
    }
    // the same validator as a file or a link: unknown types, bad params, cycles, limits
    const r = await getEngine().validateGraph(text);
    if (!r.ok) {
      useEditor
        .getState()
        .notify(
          `cannot paste: ${r.issues.length} problem${r.issues.length > 1 ? 's' : ''}: ${formatIssue(r.issues[0]!)}`,
          'error',
        );
      return null;
    }
    holdReferences(r.graph, 'the pasted nodes');
    return r.graph;
  }, []);

  useEffect(() => {
    const onMove = (e: MouseEvent) => {
      mouse.current = { x: e.clientX, y: e.clientY };
    };
    const onKey = (e: KeyboardEvent) => {
      const s = useEditor.getState();
      const mod = e.ctrlKey || e.metaKey;
      if (e.key === 'Escape') {
        if (s.palette || s.helpOpen) useEditor.setState({ palette: null, helpOpen: false });
        else if (s.running) void cancelRun();
        return;
      }
      if (isTyping(e)) return;
      if (mod && e.key === 'Enter') {
        e.preventDefault();
        void runGraph();
      } else if (mod && (e.key === 'z' || e.key === 'Z') && !e.shiftKey) {
        e.preventDefault();
        s.undo();
      } else if (mod && (((e.key === 'z' || e.key === 'Z') && e.shiftKey) || e.key === 'y')) {
        e.preventDefault();
        s.redo();
      } else if (mod && e.key === 'd') {
        e.preventDefault();
        duplicateSelection();
      } else if (mod && e.key === 'a') {
        e.preventDefault();
        s.select(s.doc.nodes.map((n) => n.id));
      } else if (!mod && (e.key === ' ' || e.key === 'Tab')) {
        e.preventDefault();
        const p = flow.screenToFlowPosition(mouse.current);
        useEditor.setState({ palette: { ...mouse.current, flowX: p.x, flowY: p.y } });
      } else if (!mod && e.key === 'f') void flow.fitView({ padding: 0.15, duration: 200 });
      else if (!mod && e.key === 'b') bypassSelection();
      else if (e.key === '?') useEditor.setState({ helpOpen: !s.helpOpen });
    };
    const onCopy = (e: ClipboardEvent) => {
      if (isTyping(e)) return;
      const g = selectionAsGraph();
      if (!g || !e.clipboardData) return;
      e.clipboardData.setData('text/plain', serializeGraph(g));
      e.preventDefault();
      useEditor.getState().notify(`copied ${g.nodes.length} node${g.nodes.length > 1 ? 's' : ''}`);
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isTyping(e)) return;
      const text = e.clipboardData?.getData('text/plain');
      if (text) {
        e.preventDefault();
        void pasteGraphText(text, validatePasted, flow.screenToFlowPosition(mouse.current));
      }
    };
    window.addEventListener('mousemove', onMove);
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [flow, validatePasted]);

  const onDrop = async (e: React.DragEvent) => {
    const f = e.dataTransfer.files[0];
    if (!f) return;
    e.preventDefault();
    if (await openGraphFile(f)) setTimeout(() => flow.fitView({ padding: 0.15 }), 50);
  };

  return (
    <div className="app" onDragOver={(e) => e.preventDefault()} onDrop={(e) => void onDrop(e)}>
      <Toolbar />
      <LoadIssues />
      <HeldReferences />
      <main className="workspace">
        <div className="canvas" data-ready={ready ? 'yes' : 'no'}>
          <Canvas />
        </div>
        <Inspector />
      </main>
      <Palette />
      <Help />
      <Notice />
    </div>
  );
}

export function App() {
  return (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  );
}

export { formatIssue };
