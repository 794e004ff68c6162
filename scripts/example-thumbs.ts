/**
 * Draws the Examples menu's thumbnails (public/examples/thumbs/<example>.png, 64x64): runs each example graph
 * (graphs/*.json, graphs/study/*.json) headless through the engine in a worker, as `npm run graph -- run` does, and
 * draws what it makes. Each PNG records the sha256 of the graph file that made it (an iTXt chunk); test/ui/
 * example-thumbs.test.ts fails when an example changed and its thumbnail was not drawn again.
 *
 * The picture: the graph's outputs are the image ports of the nodes nothing else reads (as a sweep's job takes
 * them); a graph whose outputs are verdicts or numbers (a classification, a pixel reader's grade) shows the last
 * images it makes, those that feed no other image (the pair a comparison judged, the picture classified).
 * Up to four pictures: one fills the thumbnail, two stand side by side, three or four make a 2x2 grid. A graph with
 * no image anywhere (the embedding playground) gets a drawn placeholder: a grid of tiles, "numbers, no picture".
 *
 * Run: npx tsx scripts/example-thumbs.ts          the thumbnails whose graph changed (or that are missing)
 *      npx tsx scripts/example-thumbs.ts --all    every one
 *      npx tsx scripts/example-thumbs.ts inpaint  the ones named
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encode } from 'fast-png';
import { startNodeEngine } from '../src/host/node-client';
import { cliPolicy, userValues } from '../src/host/access';
import { formatIssue } from '../src/graph/errors';
import { parsePortRef, type GraphDocument } from '../src/graph/document';
import { embedText, extractText } from '../src/graph/png-graph';
import { THUMB_KEYWORD, THUMB_SIZE, thumbPath, type ThumbRecord } from '../src/ui/example-thumbs';

const ROOT = new URL('..', import.meta.url).pathname;
const MAX_PICTURES = 4;
/** The editor's panel colour (styles.css --panel), behind pictures that do not fill the thumbnail. */
const PANEL: RGB = [0x1e, 0x21, 0x28];

type RGB = [number, number, number];
/** An 8-bit RGB picture. */
interface Picture {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Every example as the editor lists it (src/ui/files.ts): its name and file. */
function exampleFiles(): Array<{ name: string; file: string }> {
  const list = (dir: string, prefix: string) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ name: prefix + f.replace(/\.json$/, ''), file: join(ROOT, dir, f) }));
  return [...list('graphs', ''), ...list('graphs/study', 'study/')].sort((a, b) => a.name.localeCompare(b.name));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What a thumbnail says it was drawn from, or null (no thumbnail, or one without its record). */
function readThumbRecord(png: Uint8Array): ThumbRecord | null {
  const text = extractText(png, THUMB_KEYWORD, 64 * 1024, 'thumbnail record');
  return text === null ? null : (JSON.parse(text) as ThumbRecord);
}

/**
 * The image ports to show, in the graph's order: those of the graph's outputs (nodes nothing reads); else the last
 * images made, those of the nodes whose image reaches no other node with an image output (what the verdicts read).
 * Empty for a graph with no image output at all.
 */
function pictureSources(
  graph: GraphDocument,
  imagePorts: (type: string) => string[],
): Array<{ nodeId: string; port: string }> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const readers = new Map<string, string[]>();
  for (const n of graph.nodes)
    for (const ref of Object.values(n.inputs ?? {})) {
      const from = parsePortRef(ref)?.nodeId;
      if (from !== undefined && ids.has(from)) readers.set(from, [...(readers.get(from) ?? []), n.id]);
    }
  const types = new Map(graph.nodes.map((n) => [n.id, n.type]));
  const makesImage = (id: string) => imagePorts(types.get(id)!).length > 0;
  /** Whether a node downstream of this one makes an image (a walk along the wires, each node once). */
  const feedsAnImage = (id: string): boolean => {
    const seen = new Set<string>();
    const todo = [...(readers.get(id) ?? [])];
    for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
      if (seen.has(next)) continue;
      if (makesImage(next)) return true;
      seen.add(next);
      todo.push(...(readers.get(next) ?? []));
    }
    return false;
  };
  const shown = (pick: (id: string) => boolean) =>
    graph.nodes
      .filter((n) => !n.bypass && makesImage(n.id) && pick(n.id))
      .map((n) => ({ nodeId: n.id, port: imagePorts(n.type)[0]! }));
  const outputs = shown((id) => !readers.has(id));
  return outputs.length ? outputs : shown((id) => !feedsAnImage(id));
}

/** A picture shrunk (by the mean of the pixels each covers) or grown (nearest) to size x size, cropped square. */
function fit(p: Picture, size: number): Picture {
  const side = Math.min(p.width, p.height);
  const x0 = Math.floor((p.width - side) / 2),
    y0 = Math.floor((p.height - side) / 2);
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const ya = Math.floor((y * side) / size),
        yb = Math.max(ya + 1, Math.floor(((y + 1) * side) / size));
      const xa = Math.floor((x * side) / size),
        xb = Math.max(xa + 1, Math.floor(((x + 1) * side) / size));
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let sy = ya; sy < yb; sy++)
          for (let sx = xa; sx < xb; sx++) sum += p.rgb[((y0 + sy) * p.width + x0 + sx) * 3 + c]!;
        rgb[(y * size + x) * 3 + c] = Math.round(sum / ((yb - ya) * (xb - xa)));
      }
    }
  return { width: size, height: size, rgb };
}

function blank(size: number, colour: RGB): Picture {
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) rgb.set(colour, i * 3);
  return { width: size, height: size, rgb };
}

function paste(into: Picture, p: Picture, left: number, top: number): void {
  for (let y = 0; y < p.height; y++)
    into.rgb.set(p.rgb.subarray(y * p.width * 3, (y + 1) * p.width * 3), ((top + y) * into.width + left) * 3);
}

/** One picture fills the thumbnail, two stand side by side, three or four make a 2x2 grid. */
function composeThumb(pictures: Picture[], size = THUMB_SIZE): Picture {
  if (pictures.length === 1) return fit(pictures[0]!, size);
  const out = blank(size, PANEL);
  const half = size / 2;
  pictures.slice(0, MAX_PICTURES).forEach((p, i) => {
    const top = pictures.length === 2 ? half / 2 : Math.floor(i / 2) * half;
    paste(out, fit(p, half), (i % 2) * half, top);
  });
  return out;
}

/** For a graph with no picture: a 3x3 grid of tiles in the embedding family's colour, shaded like a matrix. */
function placeholderThumb(size = THUMB_SIZE): Picture {
  const out = blank(size, PANEL);
  const tile = Math.floor(size / 4),
    gap = Math.floor((size - 3 * tile) / 4);
  const base: RGB = [0xb0, 0x4f, 0x9a]; // colors.ts, embedding
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) {
      const shade = r === c ? 1 : 0.45;
      const colour = base.map((v) => Math.round(PANEL[0] + (v - PANEL[0]) * shade)) as RGB;
      paste(out, blank(tile, colour), gap + c * (tile + gap), gap + r * (tile + gap));
    }
  return out;
}

function toPng(p: Picture, record: ThumbRecord): Uint8Array {
  const png = encode({ width: p.width, height: p.height, data: p.rgb, channels: 3, depth: 8 }, { zlib: { level: 9 } });
  return embedText(png, THUMB_KEYWORD, JSON.stringify(record));
}

async function main(argv: string[]): Promise<number> {
  const all = argv.includes('--all');
  const named = argv.filter((a) => !a.startsWith('--'));
  const examples = exampleFiles().filter((e) => !named.length || named.includes(e.name));
  const unknown = named.filter((n) => !examples.some((e) => e.name === n));
  if (unknown.length) {
    console.error(`error: no example named ${unknown.join(', ')} (graphs/<name>.json)`);
    return 2;
  }
  const engine = startNodeEngine({ access: cliPolicy(join(ROOT, 'graphs', 'x.json'), [], false, userValues([])) });
  let failed = 0;
  try {
    for (const ex of examples) {
      const bytes = new Uint8Array(readFileSync(ex.file));
      const graphSha256 = sha256(bytes);
      const out = join(ROOT, 'public', thumbPath(ex.name));
      if (!all && !named.length && existsSync(out)) {
        const record = readThumbRecord(new Uint8Array(readFileSync(out)));
        if (record?.graphSha256 === graphSha256) continue;
      }
      const t0 = performance.now();
      const loaded = await engine.api.loadGraph(new TextDecoder().decode(bytes));
      if (!loaded.ok) {
        console.error(`${ex.name}: cannot be loaded:\n  ${loaded.issues.map(formatIssue).join('\n  ')}`);
        failed++;
        continue;
      }
      const catalog = new Map((await engine.api.catalog()).map((n) => [n.type, n]));
      const imagePorts = (type: string) =>
        Object.entries(catalog.get(type)?.outputs ?? {})
          .filter(([, t]) => t === 'Image')
          .map(([port]) => port);
      const sources = pictureSources(loaded.graph, imagePorts);
      const pictures: Picture[] = [];
      const names: string[] = [];
      if (sources.length) {
        const result = await engine.api.run({ targets: sources.map((s) => s.nodeId) });
        if (!result.ok) {
          const [id, r] = Object.entries(result.nodes).find(([, r]) => r.status === 'error')!;
          console.error(`${ex.name}: node "${id}" failed: ${r.message}`);
          failed++;
          continue;
        }
        for (const s of sources) {
          if (pictures.length === MAX_PICTURES) break;
          const t = await engine.api.tensor(s.nodeId, s.port);
          const [n = 1, h = 0, w = 0, c = 3] = t.shape;
          const data = t.data as Float32Array;
          for (let i = 0; i < n && pictures.length < MAX_PICTURES; i++) {
            const rgb = new Uint8Array(w * h * 3);
            for (let p = 0; p < w * h; p++)
              for (let k = 0; k < 3; k++)
                rgb[p * 3 + k] = Math.round(
                  Math.min(1, Math.max(0, data[(i * h * w + p) * c + (c === 1 ? 0 : k)]!)) * 255,
                );
            pictures.push({ width: w, height: h, rgb });
            names.push(`${s.nodeId}.${s.port}[${i}]`);
          }
        }
      }
      const thumb = pictures.length ? composeThumb(pictures) : placeholderThumb();
      const png = toPng(thumb, { graphSha256, pictures: names.length ? names : ['placeholder'] });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, png);
      console.log(
        `${ex.name}: ${names.length ? names.join(' ') : 'placeholder'} -> ${out.slice(ROOT.length)} ` +
          `(${png.length} bytes, ${Math.round(performance.now() - t0)} ms)`,
      );
    }
  } finally {
    await engine.terminate();
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
