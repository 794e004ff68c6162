/**
 * `npm run graph -- run x.png`: how this run's recipe differs from the one the PNG carries (params set with --set,
 * models, onnxruntime, backends, the product's version), said before anything is compared; with --compare, then
 * whether the picture the PNG names (its provenance) came out the same, pixel by pixel.
 */
import { decode as decodePng } from 'fast-png';
import type { Remote } from 'comlink';
import type { EngineApi, NodeInfo } from '../engine/api';
import type { GraphDocument } from '../graph/document';
import { readProvenance } from '../graph/provenance';
import { diffRecipes, formatRecipeDiff, type RecipeChange } from '../graph/recipe-diff';
import type { ParamValue } from '../graph/params';

export interface PictureCheck {
  /** Lines for stderr: the recipe's differences, then the comparison. */
  lines: string[];
  /** For --json. */
  report: { changes: RecipeChange[]; notes: string[]; picture?: PictureComparison };
  /** Set when --compare cannot compare (no provenance, the picture not made): exit 2. */
  problem?: string;
  /** Whether the compared picture differs (--compare: exit 1). */
  differs?: boolean;
}

export interface PictureComparison {
  node: string;
  port: string;
  index: number;
  same: boolean;
  /** Pixels whose RGB differ, of all pixels; the largest difference of one channel (0-255). */
  pixelsDiffering?: number;
  pixels?: number;
  maxDifference?: number;
  /** Sizes, when they differ (nothing else is compared then). */
  size?: { png: [number, number]; run: [number, number] };
}

/** A PNG's width and height from its IHDR, read before decoding anything (a hostile PNG may claim any size). */
function pngSize(png: Uint8Array): [number, number] | null {
  if (png.length < 24 || String.fromCharCode(...png.subarray(12, 16)) !== 'IHDR') return null;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

/** RGB pixel by pixel: how many differ and by how much (8-bit pictures of one size). */
export function comparePixels(a: Uint8Array, b: Uint8Array): Omit<PictureComparison, 'node' | 'port' | 'index'> {
  const [w, h] = pngSize(a)!;
  const da = decodePng(a);
  const db = decodePng(b);
  let differing = 0;
  let max = 0;
  const value = (img: typeof da, i: number, c: number) => {
    const v = Number(img.data[i * img.channels + (img.channels >= 3 ? c : 0)]);
    return img.depth === 16 ? v >> 8 : v;
  };
  for (let i = 0; i < w * h; i++) {
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(value(da, i, c) - value(db, i, c)));
    if (d > 0) differing++;
    max = Math.max(max, d);
  }
  return { same: differing === 0, pixelsDiffering: differing, pixels: w * h, maxDifference: max };
}

/** Each node type's param defaults, from the engine's catalog. */
function defaultsFrom(catalog: ReadonlyMap<string, NodeInfo>) {
  return (type: string): Record<string, ParamValue> | undefined => {
    const info = catalog.get(type);
    return info && Object.fromEntries(Object.entries(info.params).map(([k, p]) => [k, p.default as ParamValue]));
  };
}

export async function checkAgainstPicture(
  api: Remote<EngineApi>,
  opts: {
    file: string;
    png: Uint8Array;
    /** The PNG's graph as loaded, before --set. */
    graph: GraphDocument;
    catalog: ReadonlyMap<string, NodeInfo>;
    compare: boolean;
  },
): Promise<PictureCheck> {
  const { file, png } = opts;
  const lines: string[] = [];
  const read = readProvenance(png);
  if (read.notice) lines.push(`notice: ${file}: ${read.notice}; its provenance is ignored`);
  const picture = read.provenance?.picture;
  const thisRun = await api.graph();
  const mine = picture ? await api.provenance(picture.node, picture.port, picture.index) : null;
  const diff = diffRecipes(
    { graph: opts.graph, provenance: read.provenance },
    { graph: thisRun, provenance: mine },
    { defaultsOf: defaultsFrom(opts.catalog), names: [file, 'this run'] },
  );
  // without the PNG's provenance there is no picture to make this run's for: say it is the PNG's that is missing
  if (!picture) diff.notes = [`${file} carries no provenance: models, versions and backends are not compared`];
  const report: PictureCheck['report'] = { changes: diff.changes, notes: diff.notes };
  if (diff.changes.length || diff.notes.length) {
    lines.push(`${file} -> this run:`);
    lines.push(...formatRecipeDiff(diff));
  } else lines.push(`${file} -> this run: the same recipe (params, models, versions, backend)`);
  if (!opts.compare) return { lines, report };
  if (!picture)
    return {
      lines,
      report,
      problem: `${file} names no picture (it carries no valid provenance): nothing to compare`,
    };
  const label = `${picture.node}.${picture.port} #${picture.index}`;
  const made = (await api.summaries(picture.node)).find((s) => s.port === picture.port);
  if (!made?.shape || picture.index >= (made.shape[0] ?? 0))
    return { lines, report, problem: `this run did not make ${label}: nothing to compare` };
  const ours = await api.imagePng(picture.node, picture.port, picture.index, false);
  const [sa, sb] = [pngSize(png), pngSize(ours)];
  let result: PictureComparison;
  if (!sa || !sb || sa[0] !== sb[0] || sa[1] !== sb[1])
    result = { ...picture, same: false, size: { png: sa ?? [0, 0], run: sb ?? [0, 0] } };
  else {
    try {
      result = { ...picture, ...comparePixels(png, ours) };
    } catch {
      return { lines, report, problem: `${file}'s picture cannot be decoded` };
    }
  }
  report.picture = result;
  if (result.same) lines.push(`picture ${label}: the same pixels`);
  else if (result.size)
    lines.push(
      `picture ${label}: differs in size, ${result.size.png.join('x')} in ${file}, ${result.size.run.join('x')} now`,
    );
  else
    lines.push(
      `picture ${label}: differs in ${result.pixelsDiffering} of ${result.pixels} pixels ` +
        `(largest difference ${result.maxDifference}/255)` +
        (diff.changes.length ? '; the recipe differences above can explain it' : ''),
    );
  return { lines, report, differs: !result.same };
}
