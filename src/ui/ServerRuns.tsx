import { useEffect, useState } from 'react';
import { openGraphText } from './files';
import { currentServerAccess } from './engine-client';
import { serverFetch } from './server-engine';

interface ServerRun {
  id: string;
  source: 'api' | 'editor';
  status: string;
  createdAt: string;
  ms?: number;
  files: string[];
}

/** One run's first picture, fetched with the token's header and shown from a blob: URL (no token in any URL). */
function RunPicture({ path }: { path: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const s = currentServerAccess();
    if (!s) return;
    let made: string | null = null;
    let live = true;
    void serverFetch(s.url, s.token, path)
      .then((r) => (r.ok ? r.blob() : null))
      .then((b) => {
        if (b && live) setUrl((made = URL.createObjectURL(b)));
      })
      .catch(() => undefined);
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [path]);
  return url ? <img src={url} alt="" width={48} height={48} /> : <span className="server-run-blank" />;
}

/**
 * The runs the server keeps (every editor's and script's, newest first): what History shows in this browser, from
 * another one too. A click opens a run's graph (an undoable replace).
 */
export function ServerRuns({ onClose }: { onClose: () => void }) {
  const [runs, setRuns] = useState<ServerRun[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const s = currentServerAccess();
    if (!s) return;
    serverFetch(s.url, s.token, '/api/runs')
      .then(async (r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        setRuns(((await r.json()) as { runs: ServerRun[] }).runs.slice(0, 50));
      })
      .catch((e: unknown) => setError(`cannot list the server's runs: ${(e as Error).message}`));
  }, []);
  const open = async (id: string) => {
    const s = currentServerAccess();
    if (!s) return;
    const r = await serverFetch(s.url, s.token, `/api/runs/${id}`);
    const run = (await r.json()) as { graph?: unknown };
    if (run.graph) await openGraphText(JSON.stringify(run.graph), `the server's run ${id}`, { undoable: true });
    onClose();
  };
  return (
    <div className="engine-form server-runs" data-testid="server-runs">
      <strong>Runs on the server</strong>
      {error && <div className="engine-error">{error}</div>}
      {runs?.length === 0 && <div>none yet</div>}
      <ul>
        {runs?.map((r) => (
          <li key={r.id} data-testid="server-run" data-status={r.status}>
            <button onClick={() => void open(r.id)} title="open this run's graph">
              {r.files[0] ? <RunPicture path={r.files[0]} /> : <span className="server-run-blank" />}
              <span>
                {new Date(r.createdAt).toLocaleString()} · {r.status}
                {r.ms !== undefined ? ` · ${(r.ms / 1000).toFixed(1)} s` : ''} · {r.source}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <div className="engine-buttons">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
