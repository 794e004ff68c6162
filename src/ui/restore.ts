import { getEngine, trackOpening } from './engine-client';
import { holdReferences } from './files';
import { runStore, type RunMeta } from './run-history';
import { useEditor } from './store';
import { flushEdits, recordVersion } from './versions';

/** When something was kept: the time today, the date and time before. */
export function versionTime(at: number, now = Date.now()): string {
  const d = new Date(at);
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

/**
 * Brings back a graph the History panel kept (a version, or the graph of a run), validated and migrated as any
 * file is: one undoable step, and itself a new version. The graph it replaces is kept as a version first if its
 * last edits had not settled. `read` gives its text (undefined: no longer kept), `source` names it ("the version
 * of 10:02:03"), `what` says what it was.
 */
export function restoreGraphText(read: Promise<string | undefined>, source: string, what: string): Promise<void> {
  return trackOpening(
    (async () => {
      const { notify } = useEditor.getState();
      const text = await read;
      if (text === undefined) return notify(`${source} is no longer kept`, 'error');
      const r = await getEngine().validateGraph(text);
      if (!r.ok) return useEditor.setState({ loadIssues: { source, issues: r.issues } });
      await flushEdits();
      useEditor.getState().replaceDoc(r.graph, `restore ${source}`, { restore: true });
      holdReferences(r.graph, source);
      await recordVersion(useEditor.getState().doc, 'restore', `${source} (${what})`);
      notify(`restored ${source}: Undo brings back the graph it replaced`);
    })(),
  );
}

export const runSource = (r: RunMeta) => `the run of ${versionTime(r.at)}`;

/** Brings a run's graph back: validated as any file, one undoable step, and a version. */
export function restoreRun(r: RunMeta): Promise<void> {
  return restoreGraphText(
    runStore()
      .get('runs', r.id)
      .then((e) => e?.text),
    runSource(r),
    r.summary,
  );
}
