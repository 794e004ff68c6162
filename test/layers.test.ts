import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Imports point one way (shared/DESIGN.md): `tensor` -> nothing; `graph`, `models`, `world`,
 * `guide` -> `tensor` (graph: and itself); `engine` -> `graph`, `nodes`, `models`, `tensor`;
 * `nodes` -> the engine's node API, `graph`, `models`, `tensor`, `world`, `guide`, `nodes/kit`
 * and their own family; `ui` -> the engine API and `graph`. A family's files are not another
 * family's toolkit: what families share lives in `nodes/kit`.
 */
const root = resolve(new URL('..', import.meta.url).pathname);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(f) ? [p] : [];
  });
}

/** "src/tensor", "nodes/kit", "nodes/clip", ... for a file path. */
function area(path: string): string {
  const [top, sub] = relative(root, path).split('/');
  return `${top}/${sub}`.replace(/\.tsx?$/, '');
}

const ALLOWED: Record<string, (to: string, from: string) => boolean> = {
  'src/tensor': () => false,
  'src/graph': (to) => to === 'src/tensor',
  'src/models': (to) => to === 'src/tensor',
  'src/world': (to) => to === 'src/tensor',
  'src/guide': (to) => to === 'src/tensor',
  'src/engine': (to) => ['src/graph', 'src/models', 'src/tensor'].includes(to) || to.startsWith('nodes/'),
  'src/ui': (to) => ['src/engine', 'src/graph'].includes(to),
  nodes: (to, from) =>
    ['src/engine', 'src/graph', 'src/models', 'src/tensor', 'src/world', 'src/guide', 'nodes/kit', from].includes(to) ||
    (from === 'nodes/guide' && to === 'nodes/diffusion') || // the decoder's noise is what clip-latent searches
    from === 'nodes/index',
};

describe('import directions', () => {
  it("every import points down the layers, and no node family is another family's toolkit", () => {
    const wrong: string[] = [];
    for (const file of [...files(join(root, 'src')), ...files(join(root, 'nodes'))]) {
      const from = area(file);
      const rule = ALLOWED[from] ?? (from.startsWith('nodes/') ? ALLOWED.nodes : undefined);
      if (!rule) continue; // cli and queue sit on top
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const to = area(resolve(dirname(file), m[1]!));
        if (to !== from && !rule(to, from)) wrong.push(`${relative(root, file)} imports ${m[1]} (${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
