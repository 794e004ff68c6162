import type { RunContext } from '../../src/node-api/define';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { canonicalCaption, describeChanges } from '../../src/world/canonical';
import { WORLD_VERSION } from '../../src/world/spec';

/**
 * The texts as a model's tokenizer reads them. A word-level tokenizer over the ShapesWorld grammar (the bundled
 * models) reads each text as its canonical caption ("to the left of" -> "left of", src/world/canonical.ts) and the
 * node notes what was rewritten on `field` (shown on the Prompt it came from); other tokenizers (CLIP's byte-level
 * BPE) read the texts as typed.
 */
export function readCaptions(
  ctx: RunContext,
  runtime: ModelRuntime,
  modelId: string,
  texts: string[],
  field: string,
): string[] {
  const entry = runtime.entry(modelId);
  if (entry.tokenizer?.type !== 'word' || entry.world !== WORLD_VERSION) return texts;
  return canonicalCaptions(ctx, texts, field);
}

/** Each text as its canonical ShapesWorld caption (what the world's parser, renderer and reader take), noted. */
export function canonicalCaptions(ctx: RunContext, texts: string[], field: string): string[] {
  const read = texts.map(canonicalCaption);
  const changed = read.filter((r) => r.changes.length);
  if (changed.length) {
    const shown = [...new Set(changed.map((r) => r.text))];
    ctx.note(
      `read as: ${shown.slice(0, 3).join('; ')}${shown.length > 3 ? ` (and ${shown.length - 3} more)` : ''} ` +
        `(${describeChanges(changed[0]!.changes)})`,
      field,
    );
  }
  return read.map((r) => r.text);
}
