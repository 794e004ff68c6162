import { captionFix } from '../world/canonical';
import { scopeDraft, flatId } from './scope';
import { nodeById, selectScope, useEditor } from './store';

/**
 * On a node whose text a model refused (an unknown word): the text read as its canonical caption with each unknown
 * word replaced by the nearest known one, as a button that puts it in the node's text (one undoable edit).
 */
export function CaptionFixButton({ id }: { id: string }) {
  const text = useEditor((s) => nodeById(selectScope(s), id)?.params?.text);
  const fixed = typeof text === 'string' ? captionFix(text) : undefined;
  if (!fixed) return null;
  const apply = () => {
    const { change, view, setRunState, run } = useEditor.getState();
    change(`fix ${id}.text`, (d) => {
      const n = scopeDraft(d, view).nodes.find((x) => x.id === id);
      if (n) n.params = { ...n.params, text: fixed };
    });
    const key = flatId(view, id);
    setRunState(key, { ...run[key]!, warning: undefined });
  };
  return (
    <button
      className="nodrag small caption-fix"
      data-testid="caption-fix"
      title="Replace the text with this caption (Undo brings it back)"
      onClick={apply}
    >
      Use “{fixed}”
    </button>
  );
}
