import { useCallback, useEffect, useRef, useState } from 'react';
import type { EngineApi } from '../engine/api';
import { formatBytes } from '../tensor/bytes';
import { getEngine } from './engine-client';
import { useEditor } from './store';
import './models-panel.css';

/** A model the browser keeps on disk, as the engine lists it (its files summed). */
type CachedModel = Awaited<ReturnType<EngineApi['cachedModels']>>[number];

/** When a model was kept: the time today, the date and time before. */
function keptWhen(at: number, now = Date.now()): string {
  if (!at) return 'unknown';
  const d = new Date(at);
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

/**
 * The toolbar's Models button and its panel: the models this browser keeps on disk (the Cache API, filled as runs
 * download them, model-cache.ts), each with its size and when it was kept, the total, and Delete per model or all
 * of them. Read when it opens and after each run; Escape or a click outside closes it.
 */
export function ModelsMenu() {
  const [open, setOpen] = useState(false);
  const [models, setModels] = useState<CachedModel[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const runCounter = useEditor((s) => s.runCounter);
  const root = useRef<HTMLDivElement>(null);

  const refresh = useCallback(async () => {
    try {
      setModels(await getEngine().cachedModels());
      setProblem(null);
    } catch (e) {
      setProblem(`cannot read the model cache: ${(e as Error).message}`);
    }
  }, []);
  useEffect(() => {
    if (open) void refresh();
  }, [open, runCounter, refresh]);
  useEffect(() => {
    if (!open) return;
    const outside = (e: Event) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const escape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation(); // not the editor's Escape (it cancels a run)
      setOpen(false);
    };
    document.addEventListener('pointerdown', outside, true);
    window.addEventListener('keydown', escape, true);
    return () => {
      document.removeEventListener('pointerdown', outside, true);
      window.removeEventListener('keydown', escape, true);
    };
  }, [open]);

  const remove = async (urls?: string[]) => {
    await getEngine().deleteCachedModels(urls);
    await refresh();
  };
  const total = (models ?? []).reduce((sum, m) => sum + m.bytes, 0);
  return (
    <div className="menu models-menu" ref={root}>
      <button
        onClick={() => setOpen((o) => !o)}
        aria-pressed={open}
        aria-expanded={open}
        data-testid="models-toggle"
        title="the models this browser keeps on disk, with their sizes"
      >
        Models
      </button>
      {open && (
        <div className="menu-list models-panel" role="dialog" aria-label="Models" data-testid="models-panel">
          <p className="hint">
            Models downloaded by a run are kept on disk by this browser and read from there next time (checked by
            sha256).
          </p>
          {problem && <p className="error-text">{problem}</p>}
          {models && !models.length && !problem && (
            <p className="hint" data-testid="models-empty">
              No models are kept yet.
            </p>
          )}
          {!!models?.length && (
            <>
              <ul>
                {models.map((m) => (
                  <li key={`${m.model}\n${m.source}`} data-testid="cached-model" data-model={m.model}>
                    <div className="model-name" title={`${m.source}\n${m.urls.join('\n')}`}>
                      {m.model}
                    </div>
                    <div className="model-facts">
                      <span data-testid="cached-size">{formatBytes(m.bytes)}</span>
                      <span>
                        {m.urls.length} file{m.urls.length === 1 ? '' : 's'} · kept {keptWhen(m.cachedAt)}
                      </span>
                      <button className="small" data-testid="delete-model" onClick={() => void remove(m.urls)}>
                        Delete
                      </button>
                    </div>
                    <div className="model-source">{m.source}</div>
                  </li>
                ))}
              </ul>
              <footer>
                <span data-testid="models-total">
                  {models.length} model{models.length === 1 ? '' : 's'} · {formatBytes(total)}
                </span>
                <button className="small" data-testid="delete-all-models" onClick={() => void remove()}>
                  Delete all
                </button>
              </footer>
            </>
          )}
        </div>
      )}
    </div>
  );
}
