import { proxy } from 'comlink';
import type { NodeEvent } from '../engine/events';
import { formatIssue } from '../graph/errors';
import { getEngine, openingSettled } from './engine-client';
import { recordRun } from './run-history';
import { selectCatalog, selectScope, useEditor } from './store';
import { flatId } from './scope';
import { sweepRunning } from './sweep-state';

let runInFlight: Promise<void> | null = null;
/** Cancel pressed while a run still waited for a graph being opened: that run does not start. */
let cancelledWhileWaiting = false;
let rerunQueued = false;
/** What the newest request asked for: a run requested during another runs that, not the first call's targets. */
let queuedTargets: string[] | undefined;

/** Puts each node's first output picture on the node, small (the worker shrinks it). */
async function showThumbnails(ids: string[]): Promise<void> {
  const state = useEditor.getState();
  const catalog = selectCatalog(state);
  const scope = selectScope(state);
  const prefix = flatId(state.view, '');
  const engine = getEngine();
  await Promise.all(
    ids.map(async (id) => {
      // the graph's own nodes, and those of the subgraph the canvas shows
      const node = id.includes('/')
        ? id.startsWith(prefix) && !id.slice(prefix.length).includes('/')
          ? scope.nodes.find((n) => n.id === id.slice(prefix.length))
          : undefined
        : state.doc.nodes.find((n) => n.id === id);
      const port = node && Object.entries(catalog.get(node.type)?.outputs ?? {}).find(([, t]) => t === 'Image')?.[0];
      if (!port) return;
      try {
        const thumb = await engine.imagePreview(id, port, 0, 64);
        useEditor.getState().setRunState(id, { ...useEditor.getState().run[id]!, thumb });
      } catch {
        // an empty batch (a trajectory not kept) has no picture to show
      }
    }),
  );
}

/** Sends the document to the worker and runs it (or what `targets` need); statuses come back as events. */
export async function runGraph(targets?: string[]): Promise<void> {
  // a sweep holds the engine's graph point by point: a run now would run another graph under it
  if (sweepRunning()) return useEditor.getState().notify('a sweep is running: cancel it to run the graph');
  if (runInFlight) {
    rerunQueued = true;
    queuedTargets = targets;
    await getEngine().cancel();
    return runInFlight;
  }
  const engine = getEngine();
  runInFlight = (async () => {
    useEditor.setState({ running: true });
    // a graph still being opened (the worker validates it) is the one to run, not the one it replaces
    cancelledWhileWaiting = false;
    await openingSettled();
    const store = useEditor.getState();
    try {
      if (cancelledWhileWaiting) return;
      const loaded = await engine.loadGraph(store.doc);
      if (!loaded.ok) {
        useEditor.getState().notify(`cannot run: ${loaded.issues.map(formatIssue).join('; ')}`, 'error');
        return;
      }
      // each node's picture is shown once that node is done (the 64x64 stage's while the 256x256 one runs)
      const thumbed = new Set<string>();
      const thumbing: Array<Promise<void>> = [];
      const onEvent = (e: NodeEvent) => {
        const { status, progress, step, steps, label, ms, message, field, preview, model } = e;
        useEditor.getState().setRunState(e.nodeId, {
          status,
          progress,
          step,
          steps,
          label,
          ms,
          message,
          field,
          model,
          // a node queued again drops the picture of its last run: shown once done, it would pass for this run's
          // until this run's is fetched (and stay if that fails)
          ...(preview ? { preview } : status === 'queued' ? { preview: undefined, thumb: undefined } : {}),
          ...(status === 'queued' || status === 'cached' ? { warning: undefined, note: undefined } : {}),
        });
        // how a node read words typed upstream (the caption a word-level model read) is shown where they were typed
        for (const n of e.notes ?? []) {
          const at = n.origin?.nodeId ?? e.nodeId;
          const prev = useEditor.getState().run[at];
          useEditor.getState().setRunState(at, { ...prev, status: prev?.status ?? 'done', note: n.message });
        }
        // an unknown word is also shown where it was typed
        if (status === 'error' && e.origin)
          useEditor.getState().setRunState(e.origin.nodeId, {
            ...useEditor.getState().run[e.origin.nodeId],
            status: useEditor.getState().run[e.origin.nodeId]?.status ?? 'done',
            warning: `${e.origin.field}: ${message ?? ''} (found by ${e.nodeId})`,
          });
        if (status === 'done') {
          thumbed.add(e.nodeId);
          thumbing.push(showThumbnails([e.nodeId]));
        }
      };
      const result = await engine.run({ targets, backend: useEditor.getState().backend }, proxy(onEvent));
      for (const n of result.notices ?? []) useEditor.getState().notify(n, 'info');
      useEditor.setState((s) => ({ lastRun: result, runCounter: s.runCounter + 1 }));
      await Promise.all(thumbing);
      await showThumbnails(
        Object.entries(result.nodes)
          .filter(([id, r]) => (r.status === 'done' && !thumbed.has(id)) || r.status === 'cached')
          .map(([id]) => id),
      );
      // kept in the History panel's runs, its pictures read before another run replaces them
      await recordRun({ doc: store.doc, result });
    } catch (e) {
      useEditor.getState().notify(`run failed: ${(e as Error).message}`, 'error');
    } finally {
      // the run's pictures are on its nodes (or it ended without them): the canvas may show its result
      useEditor.setState((s) => ({ running: false, runShown: s.runShown + 1 }));
      runInFlight = null;
      if (rerunQueued) {
        rerunQueued = false;
        const next = queuedTargets;
        queuedTargets = undefined;
        void runGraph(next);
      }
    }
  })();
  return runInFlight;
}

export async function cancelRun(): Promise<void> {
  rerunQueued = false;
  cancelledWhileWaiting = true;
  await getEngine().cancel();
}
