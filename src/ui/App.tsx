import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type GraphDocument } from '../graph/document';
import { formatIssue } from '../graph/errors';
import { serializeGraph } from '../graph/validate';
import { Canvas } from './Canvas';
import { CanvasMiniMap } from './CanvasMiniMap';
import { getEngine, trackOpening } from './engine-client';
import { AUTOSAVE_SOURCE, EXAMPLES, openGraphFile, graphFromHash, holdReferences, openGraphText } from './files';
import { CompareRuns } from './CompareRuns';
import { HistoryPanel } from './HistoryPanel';
import { droppedFolder, dropModelFolder, restoreKeptFolders } from './model-folder';
import { Inspector } from './Inspector';
import { Palette } from './Palette';
import { SweepPanel } from './SweepPanel';
import { actionFor, type KeyContext } from './keymap';
import { runGraph } from './run';
import { rememberRecent } from './recent';
import { pasteGraphText, selectionAsGraph } from './shortcuts';
import { useEditor } from './store';
import { DEFAULT_EXAMPLE } from '../host/default-graph';
import { loadVersions, savedWork, watchEdits } from './versions';
import { HeldReferences, Help, LoadIssues, Notice, PanelToggles, Toolbar, isTyping } from './Toolbar';

function Editor() {
  const flow = useReactFlow();
  const mouse = useRef({ x: 200, y: 200 });
  const [ready, setReady] = useState(false);

  // Start-up: catalog from the worker, then a share link, the autosave, or the default example. Once: the effect
  // ran again when React Flow's instance changed, and opened the graph a second time (a 500-node graph: +1 s).
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    // the whole start-up counts as opening: a Run pressed before the first graph is shown runs that graph
    void trackOpening(
      (async () => {
        const engine = getEngine();
        performance.mark('studio:start');
        // model folders picked on an earlier visit that the browser still lets the page read, there before the
        // graph that names them opens (its model lock is checked at once)
        const restoring = restoreKeptFolders().catch(() => []);
        useEditor.getState().setCatalog(await engine.catalog());
        performance.mark('studio:catalog');
        const fromHash = graphFromHash(location.hash);
        const saved = await savedWork();
        const example = EXAMPLES.find((e) => e.name === DEFAULT_EXAMPLE) ?? EXAMPLES[0];
        let opened = false;
        await restoring;
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
        // a refused link says why above the graph opened instead (opening that one cleared the issues)
        const linkIssues = useEditor.getState().loadIssues;
        if (!opened && saved) opened = await openGraphText(saved, AUTOSAVE_SOURCE, { undoable: false });
        if (!opened && example) await openGraphText(example.text, `${example.name}.json`, { undoable: false });
        if (fromHash && linkIssues) useEditor.setState({ loadIssues: linkIssues });
        performance.mark('studio:opened');
        setReady(true);
      })(),
    );
  }, [flow]);

  // Autosave (the working copy and versions, versions.ts) and run-on-change.
  useEffect(() => {
    if (!ready) return;
    void loadVersions();
    const stopWatching = watchEdits();
    let runTimer: ReturnType<typeof setTimeout> | undefined;
    let last: GraphDocument = useEditor.getState().doc;
    const stopRunning = useEditor.subscribe((s) => {
      if (s.doc === last) return;
      last = s.doc;
      if (s.runOnChange) {
        clearTimeout(runTimer);
        runTimer = setTimeout(() => void runGraph(), 400);
      }
    });
    return () => {
      stopWatching();
      stopRunning();
    };
  }, [ready]);

  // A share link pasted into the address bar of the open editor changes only the hash (no reload): open its graph.
  useEffect(() => {
    if (!ready) return;
    const onHash = () => {
      const text = graphFromHash(location.hash);
      if (text) void openGraphText(text, 'the shared link');
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [ready]);

  const validatePasted = useCallback(async (text: string): Promise<GraphDocument | null> => {
    try {
      const raw = JSON.parse(text) as GraphDocument;
      // not a graph: an ordinary paste
      if (raw?.format !== 'unclip-studio/graph' || !Array.isArray(raw.nodes)) return null;
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
    // every shortcut is an action of the keymap (the help dialog lists the same table)
    const keyContext: KeyContext = {
      fitView: () => void flow.fitView({ padding: 0.15, duration: 200 }),
      openPalette: () => {
        const p = flow.screenToFlowPosition(mouse.current);
        useEditor.setState({ palette: { ...mouse.current, flowX: p.x, flowY: p.y } });
      },
      nodeSize: (id) => {
        const m = flow.getNode(id)?.measured;
        return m?.width && m.height ? { width: m.width, height: m.height } : undefined;
      },
    };
    const keyHandler = (phase: 'capture' | 'bubble') => (e: KeyboardEvent) => {
      const action = actionFor(e, phase, isTyping(e));
      if (!action) return;
      if (action.id !== 'escape') e.preventDefault();
      if (phase === 'capture') e.stopPropagation();
      action.run!(keyContext);
    };
    const onKey = keyHandler('bubble');
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
        // tracked like an opening: a Run pressed meanwhile runs the graph with the pasted nodes
        void trackOpening(pasteGraphText(text, validatePasted, flow.screenToFlowPosition(mouse.current)));
      }
    };
    window.addEventListener('mousemove', onMove);
    // Ctrl+Enter runs, caught before React Flow sees it: Control is a multi-selection key there, and
    // Enter on a focused node toggles its selection, so the node being watched was deselected
    const onRunKey = keyHandler('capture');
    window.addEventListener('keydown', onRunKey, true);
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('keydown', onRunKey, true);
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [flow, validatePasted]);

  const onDrop = async (e: React.DragEvent) => {
    // a folder: a model folder for a loader (read before the event ends: its items go with it)
    const folder = droppedFolder(e.dataTransfer);
    if (folder) {
      e.preventDefault();
      const onNode = (e.target as Element).closest?.('.react-flow__node [data-node-id]')?.getAttribute('data-node-id');
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      return dropModelFolder(folder, onNode ?? undefined, at);
    }
    const f = e.dataTransfer.files[0];
    if (!f) return;
    e.preventDefault();
    await openGraphFile(f);
  };

  return (
    <div className="app" onDragOver={(e) => e.preventDefault()} onDrop={(e) => void onDrop(e)}>
      <Toolbar />
      <LoadIssues />
      <HeldReferences />
      <main className="workspace">
        <div className="canvas" data-ready={ready ? 'yes' : 'no'}>
          <Canvas ready={ready} />
        </div>
        <div className="side">
          <PanelToggles />
          <Inspector />
          <CanvasMiniMap />
        </div>
        <HistoryPanel />
        <SweepPanel />
      </main>
      <Palette />
      <Help />
      <Notice />
      <CompareRuns />
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
