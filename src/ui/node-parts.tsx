import { CaptionFixButton } from './caption-fix';
import { ModelNeedView } from './model-need';
import { PreviewCanvas } from './PreviewCanvas';
import { flatId } from './scope';
import { useEditor } from './store';

/** A node's run state line: progress, time, cached, the error (its field first), a preview, the thumbnail. */
export function StatusLine({ id }: { id: string }) {
  // inside a subgraph, a node's run state is its instance's: "<instance>/<id>"
  const st = useEditor((s) => s.run[flatId(s.view, id)]);
  if (!st) return null;
  const pct = Math.round((st.progress ?? 0) * 100);
  return (
    <div className={`status status-${st.status}`} data-status={st.status}>
      {st.status === 'running' && (
        <>
          <div className="progress">
            <div style={{ width: `${pct}%` }} />
          </div>
          <span data-testid="progress-text">{st.label ?? (st.steps ? `step ${st.step}/${st.steps}` : `${pct}%`)}</span>
        </>
      )}
      {st.status === 'done' && <span>done in {st.ms! < 10 ? st.ms!.toFixed(1) : Math.round(st.ms!)} ms</span>}
      {st.status === 'cached' && <span>cached</span>}
      {st.status === 'queued' && <span>queued</span>}
      {st.status === 'cancelled' && <span>cancelled</span>}
      {st.status === 'error' && (
        <span className="error-text" title={st.message}>
          {st.field ? `${st.field}: ` : ''}
          {st.model // the whole message is in the title; the box below says what is needed
            ? st.model.here
              ? 'the model here is not the one the graph was made with'
              : 'the model the graph was made with is not here'
            : st.message}
        </span>
      )}
      {st.status === 'error' && st.model && <ModelNeedView nodeId={id} need={st.model} />}
      {st.note && (
        <span className="note-text" data-testid="read-as" title={st.note}>
          {st.note}
        </span>
      )}
      {st.warning && (
        <span className="error-text" data-testid="origin-warning" title={st.warning}>
          {st.warning}
        </span>
      )}
      {st.warning && <CaptionFixButton id={id} />}
      {st.preview && st.status === 'running' && (
        <PreviewCanvas preview={st.preview} scale={Math.max(1, Math.floor(96 / st.preview.width))} />
      )}
      {st.thumb && (st.status === 'done' || st.status === 'cached') && (
        <div className="thumb" data-testid="thumb">
          <PreviewCanvas preview={st.thumb} scale={Math.max(1, Math.floor(96 / st.thumb.width))} />
        </div>
      )}
    </div>
  );
}

// (not `.selectable`: React Flow puts that class on every node)
const INTERACTIVE = 'input, textarea, select, button, .text-selectable, .react-flow__handle';

/**
 * A press on a node's body captures the pointer to the node for the drag. Measured dragging one of
 * 500 nodes in Chromium: without it the browser hit-tested the whole page and ran its text-selection
 * hit-tests on every pointer move (a third of each frame); with it, neither. Fields, buttons and
 * ports are left alone (focus, caret, click, wiring). Capture phase, because React Flow's drag
 * stops the press from bubbling. (The press is not preventDefault-ed: that would keep focus, and
 * with it the Delete key, from reaching the node.)
 */
export function captureNodePress(e: React.PointerEvent) {
  const t = e.target as HTMLElement;
  if (e.button !== 0 || t.closest(INTERACTIVE)) return;
  (t.closest('.react-flow__node') as HTMLElement | null)?.setPointerCapture(e.pointerId);
}
