/**
 * What the Sweep panel holds: its axes as typed, and the sweep run last (its grid's cells). Apart from the running
 * (sweep-run.ts) so the editor's Run can ask whether a sweep holds the engine without importing it.
 */
import { create } from 'zustand';
import type { ImagePreview } from '../engine/events';
import type { GridAxis, GridPoint } from '../engine/grid';

/** An axis as the panel edits it: `<node>.<param>` and its values, or a picked text file (one value a line). */
export interface AxisDraft {
  key: number;
  target: string;
  text: string;
  file?: { name: string; text: string };
}

export type CellStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

export interface SweepCell {
  point: GridPoint;
  status: CellStatus;
  thumb?: ImagePreview;
  /** The nodes that ran their code for this point, and those whose results came from the memo cache. */
  ran?: string[];
  cached?: string[];
  ms?: number;
  error?: string;
  /** The running node's step, e.g. "decoder 12/25". */
  step?: string;
}

export interface SweepRun {
  axes: GridAxis[];
  graph: string;
  title: string;
  cells: SweepCell[];
  running: boolean;
  cancelled: boolean;
}

interface SweepState {
  open: boolean;
  axes: AxisDraft[];
  run: SweepRun | null;
}

export const useSweep = create<SweepState>(() => ({ open: false, axes: [], run: null }));

let nextKey = 1;
export const newAxis = (target = '', text = '', file?: AxisDraft['file']): AxisDraft => ({
  key: nextKey++,
  target,
  text,
  file,
});

export function toggleSweep(): void {
  useSweep.setState((s) => ({ open: !s.open }));
}

/** True while a sweep's points are running: the editor's own Run waits. */
export const sweepRunning = () => useSweep.getState().run?.running === true;

/**
 * Ends the sweep's run (in the panel's finally, however it ended): the cells still in one of `left` say cancelled,
 * with `step` saying why (none: the plain word).
 */
export function endSweepRun(left: ReadonlyArray<SweepCell['status']>, step?: string): void {
  useSweep.setState((s) =>
    s.run
      ? {
          run: {
            ...s.run,
            running: false,
            cells: s.run.cells.map((c) => (left.includes(c.status) ? { ...c, status: 'cancelled', step } : c)),
          },
        }
      : {},
  );
}
