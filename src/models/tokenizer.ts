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
