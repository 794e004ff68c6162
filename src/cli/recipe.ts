/**
 * A picture's recipe as the CLI reads it from a file: the graph text and provenance of a PNG the product wrote,
 * or the text of a graph JSON file (no provenance). `graph diff` and `graph run x.png` share it.
 */
import { readFile } from 'node:fs/promises';
import { extractGraph, isPng, PngGraphError } from '../graph/png-graph';
import { readProvenance, type ProvenanceRead } from '../graph/provenance';

export interface RecipeFile {
  /** The file's bytes when it is a PNG (the picture, to compare against). */
  png?: Uint8Array;
  /** The graph JSON text, or null for a PNG without a graph chunk. */
  graphText: string | null;
  provenance: ProvenanceRead;
}

/** Why a file cannot be read as a recipe, in a sentence naming the file (never its contents). */
export class RecipeFileError extends Error {}

export async function readRecipeFile(file: string): Promise<RecipeFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RecipeFileError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`);
  }
  if (!isPng(bytes)) return { graphText: new TextDecoder().decode(bytes), provenance: { provenance: null } };
  try {
    return { png: bytes, graphText: extractGraph(bytes), provenance: readProvenance(bytes) };
  } catch (e) {
    if (e instanceof PngGraphError) throw new RecipeFileError(`${file}: ${e.message}`);
    throw e;
  }
}
