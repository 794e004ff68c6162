/**
 * A sweep's grid as one PNG: each run's picture in its cell, the rows and columns labelled with their values and
 * the params they vary, carrying the graph (so it reopens and runs like any picture the product writes) and the
 * sweep (src/engine/sweep.ts: the editor's Sweep panel and `npm run graph -- sweep grid.png` take its axes back).
 */
import { encode as encodePng } from 'fast-png';
import { embedGraph } from '../graph/png-graph';
import { drawText } from '../tensor/font';
import type { GridAxis } from './grid';
import { embedSweep, sweepLayout } from './sweep';

/** A cell's picture: RGBA (an ImagePreview) or RGB bytes. */
export interface SheetTile {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  channels: 3 | 4;
}

export interface SheetCell {
  status: 'done' | 'failed' | 'cancelled' | 'pending';
  tile?: SheetTile;
}

const SIDE = 128;
const SCALE = 2;
const CHAR_W = 4 * SCALE;
const LINE_H = 6 * SCALE + 2;
const PAD = 6;
const INK: [number, number, number] = [30, 30, 30];
const MUTED: [number, number, number] = [110, 110, 110];

/** Cuts a label into lines of at most `chars` characters (at most `lines` of them, the last one marked cut). */
function wrap(text: string, chars: number, lines: number): string[] {
  const out = text.match(new RegExp(`.{1,${chars}}`, 'g')) ?? [''];
  if (out.length <= lines) return out;
  return [...out.slice(0, lines - 1), out[lines - 1]!.slice(0, chars - 1) + '+'];
}

/** The grid as PNG bytes with the graph and the sweep embedded; cells in the grid's order (first axis slowest). */
export function sweepSheetPng(axes: readonly GridAxis[], cells: readonly SheetCell[], graph: string): Uint8Array {
  const layout = sweepLayout(axes);
  const nCols = layout.cols.length,
    nRows = layout.rows.length;
  const cellW = SIDE + PAD,
    cellH = SIDE + PAD;
  const colChars = Math.floor(SIDE / CHAR_W);
  const colLabels = layout.cols.map((c) => wrap(c, colChars, 3));
  const colLines = Math.max(1, ...colLabels.map((l) => l.length));
  const rowChars = Math.min(24, Math.max(4, ...layout.rows.map((r) => r.length), layout.rowTitle.length));
  const left = layout.rowTitle || layout.rows.some(Boolean) ? rowChars * CHAR_W + 2 * PAD : PAD;
  // the column axis' name on one line, its values under it
  const top = PAD + LINE_H + colLines * LINE_H + PAD;
  const w = Math.max(left + nCols * cellW + PAD, left + layout.colTitle.length * CHAR_W + PAD),
    h = top + nRows * cellH + PAD;
  const rgb = new Uint8Array(w * h * 3).fill(250);
  drawText(rgb, w, h, layout.colTitle, left, PAD, MUTED, SCALE);
  // the row axis' name heads the row labels' column, on the line of the column labels' last line
  drawText(rgb, w, h, wrap(layout.rowTitle, rowChars, 1)[0]!, PAD, PAD + colLines * LINE_H, MUTED, SCALE);
  colLabels.forEach((lines, c) =>
    lines.forEach((l, k) => drawText(rgb, w, h, l, left + c * cellW, PAD + LINE_H + k * LINE_H, INK, SCALE)),
  );
  layout.rows.forEach((r, i) =>
    wrap(r, rowChars, 3).forEach((l, k) =>
      drawText(rgb, w, h, l, PAD, top + i * cellH + SIDE / 2 - LINE_H + k * LINE_H, INK, SCALE),
    ),
  );
  cells.slice(0, nRows * nCols).forEach((cell, i) => {
    const x0 = left + (i % nCols) * cellW,
      y0 = top + Math.floor(i / nCols) * cellH;
    const t = cell.tile;
    if (cell.status === 'done' && t) {
      for (let y = 0; y < SIDE; y++)
        for (let x = 0; x < SIDE; x++) {
          const s = (Math.floor((y * t.height) / SIDE) * t.width + Math.floor((x * t.width) / SIDE)) * t.channels;
          const d = ((y0 + y) * w + x0 + x) * 3;
          rgb[d] = t.data[s]!;
          rgb[d + 1] = t.data[s + 1]!;
          rgb[d + 2] = t.data[s + 2]!;
        }
      return;
    }
    // a cell without a picture says why, on grey
    for (let y = 0; y < SIDE; y++) rgb.fill(215, ((y0 + y) * w + x0) * 3, ((y0 + y) * w + x0 + SIDE) * 3);
    drawText(rgb, w, h, cell.status, x0 + PAD, y0 + SIDE / 2 - 5, MUTED, SCALE);
  });
  const png = encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 });
  return embedSweep(embedGraph(png, graph), axes);
}
