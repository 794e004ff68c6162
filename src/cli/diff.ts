/**
 * `npm run graph -- diff a.png b.png`: what differs between two pictures' recipes (src/graph/recipe-diff.ts).
 * Either side may be a graph JSON file (its graph alone). Exit 0 when the recipes are the same, 1 when they
 * differ, 2 for a bad file or usage.
 */
import { createRegistry } from '../../nodes/index';
import { formatIssue, GraphError } from '../graph/errors';
import type { GraphDocument } from '../graph/document';
import type { NodeCatalog } from '../graph/catalog';
import { parseGraph } from '../graph/validate';
import { diffRecipes, formatRecipeDiff, type Recipe } from '../graph/recipe-diff';
import type { ParamValue } from '../graph/params';
import { readRecipeFile, RecipeFileError } from './recipe';
import { UsageError } from './args';

export const DIFF_USAGE = 'usage: npm run graph -- diff <a.png|a.json> <b.png|b.json> [--json]';

/** Each registered node type's param defaults (a param left out of a file is its default). */
export function paramDefaults(catalog: NodeCatalog): (type: string) => Record<string, ParamValue> | undefined {
  return (type) => {
    const spec = catalog.get(type);
    if (!spec) return undefined;
    return Object.fromEntries(Object.entries(spec.params).map(([k, p]) => [k, p.default as ParamValue]));
  };
}

/** One side of the diff, or the lines saying why it cannot be read. */
async function readSide(file: string, catalog: NodeCatalog): Promise<{ recipe: Recipe; notice?: string }> {
  const read = await readRecipeFile(file);
  let graph: GraphDocument | null = null;
  if (read.graphText !== null) {
    try {
      graph = parseGraph(read.graphText, catalog);
    } catch (e) {
      if (!(e instanceof GraphError)) throw e;
      throw new RecipeFileError(
        `${file} cannot be loaded:\n${e.issues
          .slice(0, 20)
          .map((i) => `  ${formatIssue(i)}`)
          .join('\n')}`,
      );
    }
  } else if (!read.provenance.provenance) {
    throw new RecipeFileError(`${file} is a PNG that carries neither a graph nor provenance`);
  }
  return {
    recipe: { graph, provenance: read.provenance.provenance },
    ...(read.provenance.notice ? { notice: `${file}: ${read.provenance.notice}; its provenance is ignored` } : {}),
  };
}

export async function diffMain(argv: string[]): Promise<number> {
  const files: string[] = [];
  let json = false;
  try {
    for (const a of argv) {
      if (a === '--json') json = true;
      else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
      else files.push(a);
    }
    if (files.length !== 2) throw new UsageError(`diff takes two files (got ${files.length})`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\n${DIFF_USAGE}`);
    return 2;
  }
  const catalog = createRegistry();
  let a, b;
  try {
    a = await readSide(files[0]!, catalog);
    b = await readSide(files[1]!, catalog);
  } catch (e) {
    if (!(e instanceof RecipeFileError)) throw e;
    console.error(`error: ${e.message}`);
    return 2;
  }
  for (const side of [a, b]) if (side.notice) console.error(`notice: ${side.notice}`);
  const diff = diffRecipes(a.recipe, b.recipe, { defaultsOf: paramDefaults(catalog), names: [files[0]!, files[1]!] });
  if (json) console.log(JSON.stringify({ same: diff.changes.length === 0, ...diff }, null, 2));
  else {
    console.log(`${files[0]} -> ${files[1]}`);
    for (const line of formatRecipeDiff(diff)) console.log(line);
  }
  return diff.changes.length === 0 ? 0 : 1;
}
