import { useEffect, useState } from 'react';
import './engine-choice.css';
import { chooseBrowserEngine, connectServerEngine, currentServer, savedEngineChoice } from './engine-client';
import { useEditor } from './store';
import { ServerRuns } from './ServerRuns';

/** What the editor says when its server goes away: the graph stays, and this browser is one choice away. */
function serverClosed(message: string): void {
  useEditor
    .getState()
    .notify(`${message}; the graph is kept: run again once it is back, or choose Engine: this browser`, 'error');
}

/**
 * The toolbar's Engine choice: this browser (the worker) or a server (`npm run serve`: its URL and the token it
 * printed). The choice is remembered; a saved server is connected again at start, or this browser used if it is
 * not there.
 */
export function EngineChoice() {
  const [server, setServer] = useState<string | null>(currentServer());
  const [form, setForm] = useState(false);
  const [url, setUrl] = useState(() => {
    const saved = savedEngineChoice();
    return saved.kind === 'server' ? saved.url : location.origin;
  });
  const [token, setToken] = useState(() => {
    const saved = savedEngineChoice();
    return saved.kind === 'server' ? saved.token : '';
  });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [runsOpen, setRunsOpen] = useState(false);

  useEffect(() => {
    const saved = savedEngineChoice();
    if (saved.kind !== 'server' || currentServer()) return;
    connectServerEngine(saved.url, saved.token, serverClosed).then(
      () => setServer(currentServer()),
      (e: unknown) => useEditor.getState().notify(`${(e as Error).message}: using this browser's engine`, 'error'),
    );
  }, []);

  const connect = async () => {
    setBusy(true);
    setError('');
    try {
      await connectServerEngine(url.trim(), token.trim(), serverClosed);
      setServer(currentServer());
      setForm(false);
      useEditor.getState().notify(`engine: the server at ${currentServer() ?? ''}`, 'info');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <span className="menu">
      <select
        aria-label="engine"
        data-testid="engine-choice"
        title="where graphs run: the engine in this browser, or a server's (npm run serve)"
        value={form || server ? 'server' : 'browser'}
        onChange={(e) => {
          if (e.target.value === 'server') setForm(true);
          else {
            chooseBrowserEngine();
            setServer(null);
            setForm(false);
            useEditor.getState().notify("engine: this browser's", 'info');
          }
        }}
      >
        <option value="browser">engine: browser</option>
        <option value="server">{server ? `engine: ${server.replace(/^https?:\/\//, '')}` : 'engine: server…'}</option>
      </select>
      {server && !form && (
        <button
          data-testid="server-runs-toggle"
          aria-pressed={runsOpen}
          title="the runs the server keeps, from any browser: open one's graph"
          onClick={() => setRunsOpen((o) => !o)}
        >
          Server runs
        </button>
      )}
      {runsOpen && server && !form && <ServerRuns onClose={() => setRunsOpen(false)} />}
      {form && (
        <form
          className="engine-form"
          data-testid="engine-form"
          onSubmit={(e) => {
            e.preventDefault();
            void connect();
          }}
        >
          <label>
            Server URL
            <input data-testid="engine-url" value={url} onChange={(e) => setUrl(e.target.value)} />
          </label>
          <label>
            Token (printed by npm run serve)
            <input
              data-testid="engine-token"
              type="password"
              autoComplete="off"
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          </label>
          {error && <div className="engine-error">{error}</div>}
          <div className="engine-buttons">
            <button type="button" onClick={() => setForm(false)}>
              Cancel
            </button>
            <button type="submit" data-testid="engine-connect" disabled={busy || !url.trim() || !token.trim()}>
              {busy ? 'Connecting…' : 'Connect'}
            </button>
          </div>
        </form>
      )}
    </span>
  );
}
