import type { VersionCause } from './history-db';
import { restoreGraphText, versionTime } from './restore';
import { RunsList } from './RunsList';
import { setHistoryTab, useRuns } from './run-history';
import { toggleHistory, useVersions, versionText, type VersionMeta } from './versions';
import { SidePanel } from './side-panel';

/** What the list says of a version's cause beside its time (opened, new and restored say so in their summary). */
const CAUSES: Record<VersionCause, string> = { edit: 'edited', save: 'saved', open: '', new: '', restore: '' };

/**
 * Brings a version's graph back (validated and migrated as any file is): one undoable step, and itself a new
 * version. The graph it replaces is kept as a version first if its last edits had not settled.
 */
export function restoreVersion(v: VersionMeta): Promise<void> {
  return restoreGraphText(versionText(v.id), `the version of ${versionTime(v.at)}`, v.summary);
}

/**
 * The History panel: what the editor kept, from one store (history-db.ts), in two tabs: the runs (their pictures
 * with the graph that made them) and the versions of the graph (its saved states).
 */
export function HistoryPanel() {
  const open = useVersions((s) => s.open);
  const tab = useRuns((s) => s.tab);
  if (!open) return null;
  return (
    <SidePanel name="History" className="history" closeTitle="hide the History panel (H)" onClose={toggleHistory}>
      <div className="history-tabs" role="tablist">
        {(['runs', 'versions'] as const).map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            data-testid={`history-tab-${t}`}
            onClick={() => setHistoryTab(t)}
          >
            {t === 'runs' ? 'Runs' : 'Versions'}
          </button>
        ))}
      </div>
      {tab === 'runs' ? <RunsList /> : <VersionsList />}
    </SidePanel>
  );
}

/** The Versions tab: the last 50 saved states of the graph, newest first, each restorable. */
function VersionsList() {
  const versions = useVersions((s) => s.versions);
  const problem = useVersions((s) => s.problem);
  return (
    <section data-testid="versions">
      <p className="hint">The last 50 saved states of the graph, newest first.</p>
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
  );
}
