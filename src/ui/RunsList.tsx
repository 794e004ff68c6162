import { useEffect, useMemo, useState } from 'react';
import { restoreRun, versionTime } from './restore';
import {
  compareSelected,
  deleteRun,
  loadRuns,
  pinRun,
  saveRunPng,
  setRunsBudget,
  toggleSelected,
  useRuns,
  type RunMeta,
} from './run-history';
import { storageLine } from './run-record';

/** An object URL for PNG bytes, revoked when they change or the view goes. */
export function usePngUrl(png: Uint8Array | undefined): string | undefined {
  const url = useMemo(
    () => (png ? URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' })) : undefined),
    [png],
  );
  useEffect(
    () => () => {
      if (url) URL.revokeObjectURL(url);
    },
    [url],
  );
  return url;
}

function Thumb({ run }: { run: RunMeta }) {
  const pic = run.pictures[0];
  const url = usePngUrl(pic?.thumb);
  if (!pic || !url) return <div className="run-thumb empty">no picture</div>;
  const more = run.pictures.length > 1 ? ` (+${run.pictures.length - 1} more)` : '';
  return (
    <img
      className="run-thumb pixelated"
      src={url}
      alt={`${pic.node}.${pic.port} #${pic.index}`}
      title={`${pic.node}.${pic.port}: ${pic.width}x${pic.height}${more}`}
    />
  );
}

/** The size budget in MB, applied when the field is left or Enter pressed. */
function Budget() {
  const budget = useRuns((s) => s.budget);
  const [text, setText] = useState(String(budget / 1e6));
  useEffect(() => setText(String(budget / 1e6)), [budget]);
  const apply = () => {
    const mb = Number(text);
    if (Number.isFinite(mb) && mb > 0) void setRunsBudget(mb * 1e6);
    else setText(String(budget / 1e6));
  };
  return (
    <label className="run-budget" title="the oldest runs are evicted past this size (pinned runs never are)">
      budget{' '}
      <input
        data-testid="runs-budget"
        type="number"
        min={0.001}
        step="any"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => e.key === 'Enter' && apply()}
      />{' '}
      MB
    </label>
  );
}

/**
 * The Runs tab of the History panel: the editor's runs newest first, each with its first picture, when it ran and
 * what changed from the run before. A click on a row's picture or summary restores its graph; two ticked runs
 * compare side by side; each row saves its picture as the PNG with its graph.
 */
export function RunsList() {
  const runs = useRuns((s) => s.runs);
  const selected = useRuns((s) => s.selected);
  const problem = useRuns((s) => s.problem);
  const budget = useRuns((s) => s.budget);
  const evicted = useRuns((s) => s.evicted);
  useEffect(() => void loadRuns(), []);
  const bytes = runs.reduce((sum, r) => sum + r.bytes, 0);
  return (
    <section data-testid="runs">
      <p className="hint run-storage" data-testid="runs-storage">
        {storageLine(runs.length, bytes, budget, evicted)}
      </p>
      <div className="run-actions">
        <Budget />
        <button
          className="small"
          data-testid="compare-runs"
          disabled={selected.length !== 2}
          onClick={compareSelected}
          title="tick two runs to compare their pictures"
        >
          Compare {selected.length}/2
        </button>
      </div>
      {problem && <p className="error-text">{problem}</p>}
      {!runs.length && !problem && <p className="hint">No runs yet: each run is kept here with its pictures.</p>}
      <ol>
        {runs.map((r) => (
          <li key={r.id} data-run={r.id} className={selected.includes(r.id) ? 'selected' : undefined}>
            <button className="run-open" onClick={() => void restoreRun(r)} title="restore this run's graph">
              <Thumb run={r} />
            </button>
            <div className="run-text">
              <div className="when">
                <input
                  type="checkbox"
                  data-testid="compare-tick"
                  checked={selected.includes(r.id)}
                  onChange={() => toggleSelected(r.id)}
                  aria-label="compare"
                  title="tick two runs to compare"
                />
                <time dateTime={new Date(r.at).toISOString()}>{versionTime(r.at)}</time>
                <span className="cause">
                  {[`${(r.ms / 1000).toFixed(1)} s`, r.backend, r.partial ? 'partial' : '']
                    .filter(Boolean)
                    .join(' \u00b7 ')}
                </span>
              </div>
              <div
                className="summary"
                data-testid="run-summary-line"
                title={r.changes.join('\n') || r.summary}
                onClick={() => void restoreRun(r)}
              >
                {r.summary}
              </div>
              <div className="run-buttons">
                <button className="small" data-testid="restore-run" onClick={() => void restoreRun(r)}>
                  Restore
                </button>
                <button
                  className="small"
                  data-testid="save-run-png"
                  disabled={!r.pictures.length}
                  onClick={() => void saveRunPng(r)}
                  title="save the picture as a PNG carrying its graph"
                >
                  Save PNG
                </button>
                <button
                  className="small"
                  aria-pressed={!!r.pinned}
                  onClick={() => void pinRun(r, !r.pinned)}
                  title={r.pinned ? 'unpin: the budget may evict it' : 'pin: never evicted by the budget'}
                >
                  {r.pinned ? 'Pinned' : 'Pin'}
                </button>
                <button className="small" onClick={() => void deleteRun(r)} title="forget this run">
                  ✕
                </button>
              </div>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
