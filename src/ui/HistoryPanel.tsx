import { getEngine, trackOpening } from './engine-client';
import { holdReferences } from './files';
import type { VersionCause } from './history-db';
import { useEditor } from './store';
import { flushEdits, recordVersion, toggleHistory, useVersions, versionText, type VersionMeta } from './versions';

/** When a version was kept: the time today, the date and time before. */
export function versionTime(at: number, now = Date.now()): string {
  const d = new Date(at);
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

/** What the list says of a version's cause beside its time (opened, new and restored say so in their summary). */
const CAUSES: Record<VersionCause, string> = { edit: 'edited', save: 'saved', open: '', new: '', restore: '' };

/**
 * Brings a version's graph back (validated and migrated as any file is): one undoable step, and itself a new
 * version. The graph it replaces is kept as a version first if its last edits had not settled.
 */
export function restoreVersion(v: VersionMeta): Promise<void> {
  return trackOpening(
    (async () => {
      const { notify } = useEditor.getState();
      const source = `the version of ${versionTime(v.at)}`;
      const text = await versionText(v.id);
      if (text === undefined) return notify(`${source} is no longer kept`, 'error');
      const r = await getEngine().validateGraph(text);
      if (!r.ok) return useEditor.setState({ loadIssues: { source, issues: r.issues } });
      await flushEdits();
      useEditor.getState().replaceDoc(r.graph, `restore ${source}`, { restore: true });
      holdReferences(r.graph, source);
      await recordVersion(useEditor.getState().doc, 'restore', `${source} (${v.summary})`);
      notify(`restored ${source}: Undo brings back the graph it replaced`);
    })(),
  );
}

/**
 * The History panel: lists of what the editor kept, from one store (history-db.ts). Versions of the graph now;
 * the runs of the editor join as a second section.
 */
export function HistoryPanel() {
  const open = useVersions((s) => s.open);
  const versions = useVersions((s) => s.versions);
  const problem = useVersions((s) => s.problem);
  if (!open) return null;
  return (
    <aside className="history" data-testid="history" aria-label="History">
      <header>
        <h3>History</h3>
        <button className="small" onClick={toggleHistory} title="hide the History panel (H)">
          ✕
        </button>
      </header>
      <section data-testid="versions">
        <h4>
          Versions <small className="hint">the last 50 saved states, newest first</small>
        </h4>
        {problem && <p className="error-text">{problem}</p>}
        {!versions.length && !problem && <p className="hint">No versions yet: they are kept as you edit.</p>}
        <ol>
          {versions.map((v, i) => (
            <li key={v.id} data-version={v.id}>
              <div className="when">
                <time dateTime={new Date(v.at).toISOString()}>{versionTime(v.at)}</time>{' '}
                <span className="cause">{[CAUSES[v.cause], i === 0 ? 'latest' : ''].filter(Boolean).join(' · ')}</span>
                <button className="small" data-testid="restore" onClick={() => void restoreVersion(v)}>
                  Restore
                </button>
              </div>
              <div className="summary" title={`${v.title}: ${v.nodes} nodes`}>
                {v.summary}
              </div>
            </li>
          ))}
        </ol>
      </section>
    </aside>
  );
}
