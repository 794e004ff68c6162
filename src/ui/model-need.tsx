import { useRef, useState } from 'react';
import type { GraphDocument } from '../graph/document';
import type { ModelNeed } from '../engine/model-lock';
import { describeSource } from '../engine/model-lock';
import { formatBytes } from '../tensor/bytes';
import { getEngine } from './engine-client';
import { parseFolderReference } from '../host/model-folder-ref';
import { runGraph } from './run';
import { useEditor } from './store';

/** Says which model a loader needs and that it was found: the run state cleared, the loader run again. */
async function located(nodeId: string, result: Awaited<ReturnType<ReturnType<typeof getEngine>['locateModel']>>) {
  const store = useEditor.getState();
  if (!result.ok) {
    store.notify(`${result.issue.field ?? ''}: ${result.issue.message}`, 'error');
    return;
  }
  store.notify(`located model "${result.id}": the file has the sha256 the graph was made with`, 'info');
  store.resetRunState([nodeId]);
  await runGraph([nodeId]);
}

/**
 * On a loader whose model is missing here or differs from the graph's model lock: what the graph needs
 * (id, sha256, size, where it came from), what is here, and the ways out: Locate... a file or a URL
 * (accepted only if its sha256 matches), or use the model here (the lock follows it, one undoable edit).
 */
export function ModelNeedView({ nodeId, need }: { nodeId: string; need: ModelNeed }) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const m = need.needed;
  const locateFile = async (file: File) => {
    setBusy(true);
    try {
      await located(nodeId, await getEngine().locateModel(nodeId, new Uint8Array(await file.arrayBuffer())));
    } finally {
      setBusy(false);
    }
  };
  const locateUrl = async () => {
    if (!url.trim()) return;
    setBusy(true);
    try {
      // a URL the user types is the user's own: allowed at once (as a param they type)
      await getEngine().allowReferences([url.trim()]);
      await located(nodeId, await getEngine().locateModelUrl(nodeId, url.trim()));
    } finally {
      setBusy(false);
    }
  };
  const useHere = () => {
    const here = need.here;
    if (!here) return;
    useEditor.getState().change(`use the model here for ${nodeId}`, (d) => {
      // the whole list replaced (one patch at `models`): an undo after a save re-sorted it stays right
      d.models = (d.models ?? []).map((x) =>
        x.id === m.id && x.source === m.source ? { ...x, sha256: here.sha256, bytes: here.bytes } : x,
      );
    });
    useEditor.getState().resetRunState([nodeId]);
    void runGraph([nodeId]);
  };
  return (
    <div className="model-need nodrag" data-testid="model-need">
      <div>
        needs <b>{m.id}</b> ({formatBytes(m.bytes)}, {describeSource(m.source)})
      </div>
      <div className="hash" title={m.sha256}>
        sha256 {m.sha256.slice(0, 16)}…
      </div>
      {!need.here && parseFolderReference(m.source) && (
        // a folder picked on another visit or in another browser: picking it again is the way out
        <div data-testid="pick-folder-again">
          pick the folder {parseFolderReference(m.source)!.name} again (Folder… above)
        </div>
      )}
      {need.here && (
        <div className="hash" title={need.here.sha256}>
          here: sha256 {need.here.sha256.slice(0, 16)}… ({formatBytes(need.here.bytes)})
        </div>
      )}
      <div className="model-need-actions">
        <button disabled={busy} onClick={() => fileInput.current?.click()} data-testid="locate-model">
          Locate…
        </button>
        {need.here && (
          <button disabled={busy} onClick={useHere} title="Run with the model here; the graph's lock follows it">
            Use the model here
          </button>
        )}
        <input
          ref={fileInput}
          type="file"
          accept=".onnx,application/octet-stream"
          hidden
          data-testid="locate-model-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void locateFile(f);
          }}
        />
      </div>
      <div className="model-need-url">
        <input
          placeholder="or a URL of the file"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void locateUrl();
          }}
        />
        <button disabled={busy || !url.trim()} onClick={() => void locateUrl()}>
          Fetch
        </button>
      </div>
    </div>
  );
}

/**
 * After a graph opens: the loaders whose locked model is missing here or differs say so at once (before a
 * run), with what the graph needs and the Locate... action.
 */
export async function showModelNeeds(graph: GraphDocument): Promise<void> {
  if (!graph.models?.length) return;
  const problems = await getEngine().checkModelLock(graph);
  const store = useEditor.getState();
  if (store.doc.nodes !== graph.nodes && store.doc !== graph) return; // another graph opened meanwhile
  for (const p of problems)
    store.setRunState(p.nodeId, { status: 'error', message: p.message, field: 'params.model', model: p.need });
  if (problems.length)
    store.notify(
      `${problems.length} model${problems.length > 1 ? 's' : ''} of this graph ${problems.length > 1 ? 'are' : 'is'} ` +
        'missing or different here: see the loader nodes',
      'error',
    );
}

/**
 * The graph as saved: with its model lock (the models its loaders open here; the loaders run if they have not),
 * which the editor's graph takes too. The graph as it is when the engine cannot say (no models here).
 */
export async function withModelLock(doc: GraphDocument): Promise<GraphDocument> {
  try {
    const r = await getEngine().lockModels(doc);
    if (!r.ok) return doc;
    const models = r.graph.models ?? [];
    // not an edit: what the graph was made with, not a change to it
    useEditor.setState((s) => (s.doc === doc ? { doc: { ...s.doc, models } } : {}));
    // as the engine read it: every node with its type's version, placeholders exactly as they came
    return r.graph;
  } catch {
    return doc;
  }
}
