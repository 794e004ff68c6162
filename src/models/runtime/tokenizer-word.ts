import { quoteValue } from '../../tensor/quote';
import { encodeBatchWith, specialIds, withinContext, type Tokenizer, type TokenizedBatch } from './tokenizer';

/** The bundled models' word-level tokenizer: lower-case words split on spaces, unknown words are errors. */
export class WordTokenizer implements Tokenizer {
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;

  constructor(
    private vocab: Record<string, number>,
    readonly contextLength: number,
    specials: { start: string; end: string; pad: string },
  ) {
    ({ startId: this.startId, endId: this.endId, padId: this.padId } = specialIds(vocab, specials));
  }

  encode(text: string): number[] {
    const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const ids = [this.startId];
    for (const w of words) {
      const id = this.vocab[w];
      if (id === undefined) {
        const known = Object.keys(this.vocab)
          .filter((k) => !/^<.*>$/.test(k))
          .sort();
        throw new Error(
          `unknown word ${quoteValue(w, 30)} in ${quoteValue(text)}; the model knows ${known.length} words: ` +
            `${known.join(' ')}`,
        );
      }
      ids.push(id);
    }
    ids.push(this.endId);
    return withinContext(ids, text, this.contextLength);
  }

  encodeBatch(texts: string[]): TokenizedBatch {
    return encodeBatchWith(this, texts);
  }
}
