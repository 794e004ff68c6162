import type { CodesView } from '../engine/preview';

/** A colour per code id: hues spread by the golden ratio, three lightness levels. */
export function codeColour(code: number): string {
  const hue = Math.round(((code * 0.618033988749895) % 1) * 360);
  const light = [42, 58, 72][code % 3];
  return `hsl(${hue} 70% ${light}%)`;
}

/** One code grid drawn as cells coloured by code id (hover: the id). */
function CodeGrid({ codes, grid, cell }: { codes: number[]; grid: number; cell: number }) {
  return (
    <svg
      className="code-grid"
      width={grid * cell}
      height={grid * cell}
      role="img"
      aria-label={`code grid ${grid}x${grid}`}
    >
      {codes.map((c, i) => (
        <rect
          key={i}
          x={(i % grid) * cell}
          y={Math.floor(i / grid) * cell}
          width={cell}
          height={cell}
          fill={codeColour(c)}
        >
          <title>{`row ${Math.floor(i / grid)}, column ${i % grid}: code ${c}`}</title>
        </rect>
      ))}
    </svg>
  );
}

/** Codes: picture grids as coloured cells (dVAE), the first rows as numbers (PCA), and code use. */
export function CodesPanel({ view }: { view: CodesView }) {
  const max = view.histogram ? Math.max(1, ...view.histogram) : 1;
  return (
    <div className="codes-panel">
      {view.grid ? (
        <div className="image-grid">
          {view.rows.map((r, i) => (
            <CodeGrid key={i} codes={r} grid={view.grid!} cell={Math.max(4, Math.floor(96 / view.grid!))} />
          ))}
        </div>
      ) : (
        <ul className="text-values">
          {view.rows.slice(0, 4).map((r, i) => (
            <li key={i}>
              {r.slice(0, 32).join(' ')}
              {r.length > 32 ? ' …' : ''}
            </li>
          ))}
        </ul>
      )}
      <p className="hint" data-testid="codes-used">
        {view.used} of {view.buckets} codes used
      </p>
      {view.histogram && (
        <svg className="code-histogram" width={260} height={60} role="img" aria-label="code use histogram">
          {view.histogram.map((c, i) =>
            c > 0 ? (
              <rect
                key={i}
                x={(i / view.histogram!.length) * 260}
                y={60 - (c / max) * 58}
                width={Math.max(1, 260 / view.histogram!.length)}
                height={(c / max) * 58}
                fill={codeColour(i)}
              >
                <title>{`code ${i}: ${c}`}</title>
              </rect>
            ) : null,
          )}
        </svg>
      )}
    </div>
  );
}
