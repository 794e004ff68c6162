import { useState } from 'react';
import type { EmbeddingView } from '../engine/preview';

/** The inspector's views of values: stats, heat maps with legends, bars, curves, embeddings. */
function heat(v: number, lo: number, hi: number): string {
  const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  const r = Math.round(255 * Math.min(1, 2 * t)),
    b = Math.round(255 * Math.min(1, 2 * (1 - t)));
  return `rgb(${r},${Math.round(80 + 60 * (1 - Math.abs(2 * t - 1)))},${b})`;
}

export function Stats({
  s,
}: {
  s: { min: number; max: number; mean: number; std: number; nanCount: number; norms?: number[] };
}) {
  const f = (x: number) => (Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(3));
  return (
    <div className="stats">
      {s.norms && <span>norm {f(s.norms[0]!)}</span>}
      <span>min {f(s.min)}</span>
      <span>max {f(s.max)}</span>
      <span>mean {f(s.mean)}</span>
      <span>std {f(s.std)}</span>
      <span className={s.nanCount ? 'error-text' : ''}>NaN {s.nanCount}</span>
    </div>
  );
}

/** The colour scale of a heat map, with its range. */
function HeatLegend({ lo, hi }: { lo: number; hi: number }) {
  const f = (x: number) => (Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(1) : x.toFixed(2));
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => heat(lo + t * (hi - lo), lo, hi)).join(', ');
  return (
    <div className="heat-legend" data-testid="heat-legend">
      <span>{f(lo)}</span>
      <span className="heat-bar" style={{ background: `linear-gradient(to right, ${stops})` }} />
      <span>{f(hi)}</span>
    </div>
  );
}

/** A large matrix as pixels (a table of 40,000 numbers helps nobody); hover reads a cell. */
function HeatCanvas({
  values,
  n,
  m,
  lo,
  hi,
  rows,
  cols,
}: {
  values: ArrayLike<number>;
  n: number;
  m: number;
  lo: number;
  hi: number;
  rows?: string[];
  cols?: string[];
}) {
  const cell = Math.max(1, Math.floor(260 / Math.max(n, m)));
  const [hover, setHover] = useState<string>('');
  return (
    <div className="heat-canvas">
      <canvas
        width={m * cell}
        height={n * cell}
        data-testid="matrix-canvas"
        ref={(c) => {
          const ctx = c?.getContext('2d');
          if (!ctx) return;
          for (let i = 0; i < n; i++)
            for (let j = 0; j < m; j++) {
              ctx.fillStyle = heat(values[i * m + j]!, lo, hi);
              ctx.fillRect(j * cell, i * cell, cell, cell);
            }
        }}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const j = Math.floor(((e.clientX - r.left) / r.width) * m),
            i = Math.floor(((e.clientY - r.top) / r.height) * n);
          if (i >= 0 && i < n && j >= 0 && j < m)
            setHover(`${rows?.[i] ?? `row ${i}`} x ${cols?.[j] ?? `column ${j}`}: ${values[i * m + j]!.toFixed(3)}`);
        }}
      />
      <div className="hint">
        {n} x {m}
        {hover ? ` · ${hover}` : ' · hover a cell to read it'}
      </div>
    </div>
  );
}

export function Matrix({
  values,
  n,
  m,
  rows,
  cols,
}: {
  values: ArrayLike<number>;
  n: number;
  m: number;
  rows?: string[];
  cols?: string[];
}) {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < n * m; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  if (n * m > 144)
    return (
      <>
        <HeatCanvas values={values} n={n} m={m} lo={lo} hi={hi} rows={rows} cols={cols} />
        <HeatLegend lo={lo} hi={hi} />
      </>
    );
  return (
    <>
      <table className="matrix">
        {cols && (
          <thead>
            <tr>
              <th />
              {cols.map((c, j) => (
                <th key={j} title={c}>
                  {c.length > 14 ? `${c.slice(0, 13)}…` : c}
                </th>
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {Array.from({ length: n }, (_, i) => (
            <tr key={i}>
              <th title={rows?.[i]}>{rows?.[i] ?? i}</th>
              {Array.from({ length: m }, (_, j) => (
                <td key={j} style={{ background: heat(values[i * m + j]!, lo, hi) }}>
                  {values[i * m + j]!.toFixed(2)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <HeatLegend lo={lo} hi={hi} />
    </>
  );
}

export function Bars({ labels, values }: { labels: string[]; values: number[] }) {
  const order = values
    .map((v, i) => i)
    .sort((a, b) => values[b]! - values[a]!)
    .slice(0, 50);
  const max = Math.max(...values.map(Math.abs), 1e-9);
  return (
    <div className="bars">
      {order.map((i) => (
        <div key={i} className="bar-row" title={`${labels[i]}: ${values[i]}`}>
          <span className="bar-label">{labels[i]}</span>
          <span className="bar">
            <span style={{ width: `${(Math.abs(values[i]!) / max) * 100}%` }} />
          </span>
          <span className="bar-value">{values[i]!.toFixed(3)}</span>
        </div>
      ))}
    </div>
  );
}

const SERIES_COLOURS = ['#e07b39', '#4aa3df', '#7fa35b', '#a66be0'];

/** Series over steps (an optimizer's similarity curve): one line per row, axes with the range. */
export function Curve({
  values,
  rows,
  cols,
  rowLabels,
}: {
  values: number[];
  rows: number;
  cols: number;
  rowLabels?: string[];
}) {
  const W = 260,
    H = 140,
    L = 40,
    B = 20;
  let lo = Infinity,
    hi = -Infinity;
  for (const v of values)
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  if (!(hi > lo)) {
    hi = lo + 1e-6;
  }
  const x = (j: number) => L + (cols <= 1 ? 0 : (j / (cols - 1)) * (W - L - 6));
  const y = (v: number) => 6 + (1 - (v - lo) / (hi - lo)) * (H - B - 6);
  return (
    <div className="curve">
      <svg width={W} height={H} role="img" aria-label="curve">
        <line x1={L} y1={6} x2={L} y2={H - B} stroke="currentColor" strokeOpacity={0.5} />
        <line x1={L} y1={H - B} x2={W - 6} y2={H - B} stroke="currentColor" strokeOpacity={0.5} />
        <text x={L - 4} y={12} fontSize={10} textAnchor="end" fill="currentColor">
          {hi.toFixed(3)}
        </text>
        <text x={L - 4} y={H - B} fontSize={10} textAnchor="end" fill="currentColor">
          {lo.toFixed(3)}
        </text>
        <text x={L} y={H - 6} fontSize={10} fill="currentColor">
          1
        </text>
        <text x={W - 6} y={H - 6} fontSize={10} textAnchor="end" fill="currentColor">
          {cols}
        </text>
        {Array.from({ length: rows }, (_, r) => (
          <polyline
            key={r}
            fill="none"
            stroke={SERIES_COLOURS[r % SERIES_COLOURS.length]}
            strokeWidth={1.5}
            points={Array.from(
              { length: cols },
              (_, j) => `${x(j).toFixed(1)},${y(values[r * cols + j]!).toFixed(1)}`,
            ).join(' ')}
          />
        ))}
      </svg>
      <div className="legend">
        {Array.from({ length: rows }, (_, r) => (
          <span key={r}>
            <i style={{ background: SERIES_COLOURS[r % SERIES_COLOURS.length] }} />
            {rowLabels?.[r] ?? `series ${r}`}: {values[r * cols + cols - 1]!.toFixed(3)}
          </span>
        ))}
      </div>
    </div>
  );
}

export function EmbeddingPanel({ view, names }: { view: EmbeddingView; names?: string[] }) {
  const { rows, shownRows, dim } = view;
  const name = (i: number) => {
    const t = names?.[i];
    if (t === undefined) return String(i);
    return t.length > 24 ? `${t.slice(0, 23)}…` : t;
  };
  let lo = Infinity,
    hi = -Infinity;
  for (const v of rows) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return (
    <div>
      <div className="strips">
        {Array.from({ length: shownRows }, (_, r) => (
          <div key={r} className="strip-row">
            <span className="strip-label" title={names?.[r]}>
              {name(r)}
            </span>
            <div className="strip" title={`row ${r}${names?.[r] ? `: ${names[r]}` : ''}`}>
              {Array.from({ length: dim }, (_, i) => (
                <span key={i} style={{ background: heat(rows[r * dim + i]!, lo, hi) }} />
              ))}
            </div>
          </div>
        ))}
      </div>
      <div className="hint">
        rows 0-{shownRows - 1} of {view.n}, dimensions 0-{dim - 1} left to right
      </div>
      <HeatLegend lo={lo} hi={hi} />
      {view.cosine && shownRows >= 2 && (
        <>
          <h4>cosine similarity</h4>
          <Matrix
            values={view.cosine}
            n={shownRows}
            m={shownRows}
            cols={names ? Array.from({ length: shownRows }, (_, i) => name(i)) : undefined}
            rows={names ? Array.from({ length: shownRows }, (_, i) => name(i)) : undefined}
          />
        </>
      )}
      {view.scatter && (
        <>
          <h4>PCA (first two components)</h4>
          <svg className="scatter" viewBox="-1.1 -1.1 2.2 2.2" width={220} height={220}>
            {(() => {
              const pts = view.scatter!;
              const k = Math.max(...Array.from(pts, Math.abs), 1e-9);
              const axes = (
                <g className="axes" key="axes">
                  <line x1={-1.05} y1={0} x2={1.05} y2={0} />
                  <line x1={0} y1={-1.05} x2={0} y2={1.05} />
                  <text x={0.82} y={0.1} fontSize={0.08}>
                    PC1
                  </text>
                  <text x={0.04} y={-0.98} fontSize={0.08}>
                    PC2
                  </text>
                </g>
              );
              return [
                axes,
                ...Array.from({ length: pts.length / 2 }, (_, i) => (
                  <g key={i}>
                    <circle cx={pts[i * 2]! / k} cy={-pts[i * 2 + 1]! / k} r={0.03} />
                    <text x={pts[i * 2]! / k + 0.04} y={-pts[i * 2 + 1]! / k} fontSize={0.08}>
                      {name(i)}
                    </text>
                  </g>
                )),
              ];
            })()}
          </svg>
          <div className="hint">
            points are rows ({names ? 'named by the texts that made them' : 'numbered as above'}), scaled to the largest
            coordinate
          </div>
        </>
      )}
    </div>
  );
}
