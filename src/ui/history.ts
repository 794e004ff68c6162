import { applyPatches, enablePatches, produceWithPatches, type Draft, type Patch } from 'immer';

enablePatches();

/** One undoable edit: immer patches both ways. */
export interface Edit {
  label: string;
  patches: Patch[];
  inverse: Patch[];
  /** When it was made (edits of one burst of typing merge into one undo step). */
  at?: number;
}

/** Two edits as one: `a` then `b`. */
export function mergeEdits(a: Edit, b: Edit): Edit {
  return { label: b.label, patches: [...a.patches, ...b.patches], inverse: [...b.inverse, ...a.inverse], at: b.at };
}

/** Applies a recipe and returns the new value with its edit (null when nothing changed). */
export function edit<T>(value: T, label: string, recipe: (draft: Draft<T>) => void): [T, Edit | null] {
  const [next, patches, inverse] = produceWithPatches(value, recipe);
  return patches.length ? [next, { label, patches, inverse }] : [value, null];
}

export function undoEdit<T extends object>(value: T, e: Edit): T {
  return applyPatches(value, e.inverse) as T;
}

export function redoEdit<T extends object>(value: T, e: Edit): T {
  return applyPatches(value, e.patches) as T;
}

export const HISTORY_LIMIT = 500;
