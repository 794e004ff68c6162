/**
 * A sweep's output folder: `results.jsonl` (one line per job key, appended as jobs finish, so an
 * interrupted sweep knows what it has), the images under `images/`, and `contact-sheet.png`.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import type { JobImage } from './job';
import { drawText } from './font';
import { embedProvenance, readProvenance, type Provenance } from '../graph/provenance';

export interface ResultLine {
  key: string;
  /** `"node.param"`: the value, as its param's type. */
  params: Record<string, string | number | boolean>;
  status: 'done' | 'failed';
  /** Image outputs, relative to the sweep's folder. */
  files: string[];
  ms: number;
  worker: string;
  error?: string;
}

/** A contact sheet past this many pictures is too big to look at; results.jsonl lists them all. */
export const MAX_SHEET_TILES = 512;

export class SweepResults {
  readonly lines = new Map<string, ResultLine>();
  private readonly path: string;

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'images'), { recursive: true });
    this.path = join(dir, 'results.jsonl');
    if (existsSync(this.path)) {
      for (const text of readFileSync(this.path, 'utf8').split('\n')) {
        if (!text.trim()) continue;
        try {
          const line = JSON.parse(text) as ResultLine;
          // a failed job is tried again by a new sweep; a done one is kept
          if (line.status === 'done') this.lines.set(line.key, line);
        } catch {
          /* a line cut short when the sweep was killed: that job runs again */
        }
      }
      // rewrite without the failures and any torn line, so each key appears once
      writeFileSync(this.path, [...this.lines.values()].map((l) => JSON.stringify(l) + '\n').join(''));
    }
  }

  has(key: string): boolean {
    return this.lines.has(key);
  }

  /** Writes a job's images and appends its line, once per key. */
  record(line: Omit<ResultLine, 'files'>, images: JobImage[] = []): ResultLine | undefined {
    if (this.lines.has(line.key)) return undefined;
    const files = images.map((img) => {
      const rel = join('images', `${line.key.slice(0, 16)}-${img.name}`);
      writeFileSync(join(this.dir, rel), img.png);
      return rel;
    });
    const full: ResultLine = {
      key: line.key,
      params: line.params,
      status: line.status,
      files,
      ms: Math.round(line.ms),
      worker: line.worker,
      ...(line.error ? { error: line.error } : {}),
    };
    appendFileSync(this.path, JSON.stringify(full) + '\n');
    this.lines.set(full.key, full);
    return full;
  }

  /**
   * Every image (the first MAX_SHEET_TILES) with its parameters beneath it, in the order of `order` (the grid's).
   * The sheet carries no graph (its tiles have one each) but does carry provenance when every tile's agrees.
   */
  writeContactSheet(order: readonly string[]): string | undefined {
    const tiles: Array<{ png: ReturnType<typeof decodePng>; label: string[] }> = [];
    const provenances: Array<Provenance | null> = [];
    for (const key of order) {
      if (tiles.length >= MAX_SHEET_TILES) break;
      const line = this.lines.get(key);
      if (!line || line.status !== 'done') continue;
      for (const f of line.files) {
        const label = Object.entries(line.params).map(([k, v]) => `${k}=${v}`);
        const bytes = new Uint8Array(readFileSync(join(this.dir, f)));
        provenances.push(readProvenance(bytes).provenance);
        tiles.push({
          png: decodePng(bytes),
          label: line.files.length > 1 ? [...label, f.split('-').slice(1).join('-')] : label,
        });
      }
    }
    if (tiles.length === 0) return undefined;
    const side = 128,
      scale = 1,
      lineH = 7,
      labelLines = Math.max(...tiles.map((t) => t.label.length));
    const charsPerLine = Math.floor(side / (4 * scale));
    const wrapped = tiles.map((t) => t.label.flatMap((l) => l.match(new RegExp(`.{1,${charsPerLine}}`, 'g')) ?? ['']));
    const rowsOfText = Math.max(labelLines, ...wrapped.map((w) => w.length));
    const cellW = side + 8,
      cellH = side + 8 + rowsOfText * lineH;
    const cols = Math.min(tiles.length, 8),
      rows = Math.ceil(tiles.length / cols);
    const w = cols * cellW,
      h = rows * cellH;
    const rgb = new Uint8Array(w * h * 3).fill(250);
    tiles.forEach((t, i) => {
      const x0 = (i % cols) * cellW + 4,
        y0 = Math.floor(i / cols) * cellH + 4;
      const { width, height, data, channels } = t.png;
      for (let y = 0; y < side; y++)
        for (let x = 0; x < side; x++) {
          const sx = Math.floor((x * width) / side),
            sy = Math.floor((y * height) / side);
          for (let c = 0; c < 3; c++)
            rgb[((y0 + y) * w + x0 + x) * 3 + c] = Number(data[(sy * width + sx) * channels + (channels >= 3 ? c : 0)]);
        }
      wrapped[i]!.forEach((text, k) => drawText(rgb, w, h, text, x0, y0 + side + 2 + k * lineH, [30, 30, 30], scale));
    });
    const path = join(this.dir, 'contact-sheet.png');
    const sheet = encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 });
    const shared = sharedProvenance(provenances);
    writeFileSync(path, shared ? embedProvenance(sheet, shared) : sheet);
    return path;
  }
}

/** The provenance every tile shares (their models, versions and backends), without a picture; null if any differ. */
export function sharedProvenance(list: ReadonlyArray<Provenance | null>): Provenance | null {
  const strip = (p: Provenance | null) => {
    if (!p) return null;
    const { picture: _picture, ...rest } = p;
    return rest;
  };
  const first = strip(list[0] ?? null);
  if (!first) return null;
  const key = JSON.stringify(first);
  return list.every((p) => JSON.stringify(strip(p)) === key) ? first : null;
}
