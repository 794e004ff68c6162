import { useEffect, useRef, useState } from 'react';
import { pixelDifference } from './compare-pixels';
import { versionTime } from './restore';
import { runPictures, useRuns, type RunMeta } from './run-history';
import { runChanges } from './run-record';
import { usePngUrl } from './RunsList';
import type { GraphDocument } from '../graph/document';

/** Shown pictures are scaled to this many pixels a side (without smoothing). */
const VIEW_SIDE = 256;
const GAINS = [1, 4, 16];

/** The RGBA pixels of a PNG drawn at width x height. */
async function pixelsOf(png: Uint8Array, width: number, height: number): Promise<Uint8ClampedArray> {
  const bitmap = await createImageBitmap(new Blob([png as BlobPart], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return ctx.getImageData(0, 0, width, height).data;
}

/** The difference of two pictures, amplified: drawn on a canvas at the first's size. */
function DifferenceView({ a, b, width, height }: { a: Uint8Array; b: Uint8Array; width: number; height: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [gain, setGain] = useState(4);
  const [stats, setStats] = useState<{ max: number; mean: number } | null>(null);
  useEffect(() => {
    let stale = false;
    void (async () => {
      const [pa, pb] = await Promise.all([pixelsOf(a, width, height), pixelsOf(b, width, height)]);
      const c = ref.current;
      if (stale || !c) return;
      const d = pixelDifference(pa, pb, gain);
      c.width = width;
      c.height = height;
      const data = new ImageData(width, height);
      data.data.set(d.rgba);
      c.getContext('2d')?.putImageData(data, 0, 0);
      setStats({ max: d.max, mean: d.mean });
    })();
    return () => {
      stale = true;
    };
  }, [a, b, width, height, gain]);
  return (
    <figure>
      <canvas ref={ref} className="pixelated compare-pic" data-testid="compare-diff" />
      <figcaption>
        difference ×
        <select value={gain} onChange={(e) => setGain(Number(e.target.value))} aria-label="amplify">
          {GAINS.map((g) => (
            <option key={g} value={g}>
              {g}
            </option>
          ))}
        </select>
        {stats && (
          <span data-testid="compare-stats">
            {' '}
            mean |Δ| {stats.mean.toFixed(1)}, max {stats.max}
          </span>
        )}
      </figcaption>
    </figure>
  );
}

/** A before/after wipe: the newer picture over the older, shown left of the slider. */
function WipeView({ a, b }: { a: string; b: string }) {
  const [at, setAt] = useState(50);
  return (
    <figure>
      <div className="compare-wipe">
        <img className="pixelated compare-pic" src={a} alt="older" />
        <img
          className="pixelated compare-pic over"
          src={b}
          alt="newer"
          data-testid="compare-wipe-top"
          style={{ clipPath: `inset(0 ${100 - at}% 0 0)` }}
        />
      </div>
      <figcaption>
        wipe: B left of the slider, A right
        <input
          type="range"
          min={0}
          max={100}
          value={at}
          data-testid="compare-slider"
          aria-label="wipe"
          onChange={(e) => setAt(Number(e.target.value))}
        />
      </figcaption>
    </figure>
  );
}

function Side({ run, url, label }: { run: RunMeta; url: string | undefined; label: string }) {
  return (
    <figure>
      {url ? <img className="pixelated compare-pic" src={url} alt={label} /> : <div className="compare-pic empty" />}
      <figcaption>
        {label}: {versionTime(run.at)} · {run.summary}
      </figcaption>
    </figure>
  );
}

/**
 * Two runs side by side (older left), a before/after wipe with a slider, and their per-pixel difference amplified;
 * the changes between their graphs are listed under them. One picture of each is compared (a picker where a run
 * kept several).
 */
export function CompareRuns() {
  const comparing = useRuns((s) => s.comparing);
  const [pngs, setPngs] = useState<[Uint8Array[], Uint8Array[]] | null>(null);
  const [index, setIndex] = useState(0);
  useEffect(() => {
    setPngs(null);
    setIndex(0);
    if (!comparing) return;
    let stale = false;
    void Promise.all([runPictures(comparing[0].id), runPictures(comparing[1].id)]).then((got) => {
      if (!stale) setPngs(got);
    });
    return () => {
      stale = true;
    };
  }, [comparing]);
  const a = pngs?.[0][Math.min(index, pngs[0].length - 1)];
  const b = pngs?.[1][Math.min(index, pngs[1].length - 1)];
  const urlA = usePngUrl(a);
  const urlB = usePngUrl(b);
  useEffect(() => {
    if (!comparing) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && useRuns.setState({ comparing: null });
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [comparing]);
  if (!comparing) return null;
  const [older, newer] = comparing;
  const close = () => useRuns.setState({ comparing: null });
  const count = Math.min(older.pictures.length, newer.pictures.length);
  const pic = older.pictures[Math.min(index, older.pictures.length - 1)];
  const changes = runChanges(
    { graph: JSON.parse(older.text) as GraphDocument, backend: older.backend },
    { graph: JSON.parse(newer.text) as GraphDocument, backend: newer.backend },
  );
  return (
    <div className="compare-runs" role="dialog" aria-label="Compare runs" data-testid="compare">
      <header>
        <h3>Compare runs</h3>
        {count > 1 && (
          <select value={index} onChange={(e) => setIndex(Number(e.target.value))} aria-label="picture">
            {older.pictures.slice(0, count).map((p, i) => (
              <option key={i} value={i}>
                {p.node}.{p.port} #{p.index}
              </option>
            ))}
          </select>
        )}
        <button className="small" onClick={close} title="close (Esc)">
          ✕
        </button>
      </header>
      {pngs && (!a || !b) && <p className="hint">One of the runs kept no picture: only their graphs compare.</p>}
      <div className="compare-grid">
        <Side run={older} url={urlA} label="A (older)" />
        <Side run={newer} url={urlB} label="B (newer)" />
        {urlA && urlB && <WipeView a={urlA} b={urlB} />}
        {a && b && pic && (
          <DifferenceView a={a} b={b} width={pic.width || VIEW_SIDE} height={pic.height || VIEW_SIDE} />
        )}
      </div>
      <ul className="compare-changes">
        {changes.length ? changes.map((c, i) => <li key={i}>{c}</li>) : <li>the same graph</li>}
      </ul>
    </div>
  );
}
