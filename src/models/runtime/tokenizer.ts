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
