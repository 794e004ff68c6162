import { quoteValue } from '../../tensor/quote';

/** Token ids [N, contextLength] (int64, padded) and each row's length with start and end tokens. */
export interface TokenizedBatch {
  ids: BigInt64Array;
  shape: [number, number];
  lengths: number[];
}

/** One interface for the word-level and CLIP BPE tokenizers. */
export interface Tokenizer {
  readonly contextLength: number;
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  /** Ids with start and end tokens; throws with a clear message (unknown word, too long). */
  encode(text: string): number[];
  encodeBatch(texts: string[]): TokenizedBatch;
}

/** Ids of the start, end and pad tokens in a vocabulary; a missing one is an error naming it. */
export function specialIds(
  vocab: Record<string, number>,
  specials: { start: string; end: string; pad: string },
): { startId: number; endId: number; padId: number } {
  const id = (t: string) => {
    const v = vocab[t];
    if (v === undefined) throw new Error(`the vocabulary has no special token "${t}"`);
    return v;
  };
  return { startId: id(specials.start), endId: id(specials.end), padId: id(specials.pad) };
}

/** `ids` (with start and end tokens) within the context, or an error quoting the text briefly. */
export function withinContext(ids: number[], text: string, contextLength: number): number[] {
  if (ids.length > contextLength)
    throw new Error(`${quoteValue(text)} is ${ids.length} tokens, more than the context of ${contextLength}`);
  return ids;
}

/** Rows of ids padded to [N, contextLength] int64. */
export function padBatch(rows: number[][], contextLength: number, padId: number): TokenizedBatch {
  const ids = new BigInt64Array(rows.length * contextLength).fill(BigInt(padId));
  rows.forEach((r, i) =>
    r.forEach((id, j) => {
      ids[i * contextLength + j] = BigInt(id);
    }),
  );
  return { ids, shape: [rows.length, contextLength], lengths: rows.map((r) => r.length) };
}

/** A tokenizer's batch: every text encoded (each checked), padded. */
export function encodeBatchWith(tok: Tokenizer, texts: string[]): TokenizedBatch {
  return padBatch(
    texts.map((t) => tok.encode(t)),
    tok.contextLength,
    tok.padId,
  );
}

/**
 * The attention mask [N, L] of padded ids: 1 through the last token that is not padding (and the end token after
 * it when padding is the end token, as CLIP pads), 0 after. The same from text or from a Tokens port.
 */
export function attentionMask(ids: BigInt64Array, shape: readonly number[], padId: number, endId: number) {
  const [n, l] = shape as [number, number];
  const mask = new BigInt64Array(n * l);
  const pad = BigInt(padId);
  for (let r = 0; r < n; r++) {
    let last = -1;
    for (let j = 0; j < l; j++) if (ids[r * l + j] !== pad) last = j;
    const length = Math.min(l, last + 1 + (padId === endId ? 1 : 0));
    mask.fill(1n, r * l, r * l + length);
  }
  return mask;
}
