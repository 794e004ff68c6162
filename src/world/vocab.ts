import { worldWords } from './spec';

/** Special tokens of the bundled word-level tokenizer, in vocabulary order. */
export const SPECIAL_TOKENS = { pad: '<pad>', start: '<start>', end: '<end>' } as const;
export const WORLD_CONTEXT_LENGTH = 16;

/** The word-level vocabulary of the bundled models: specials first, then the world's words. */
export function worldVocabulary(): string[] {
  return [SPECIAL_TOKENS.pad, SPECIAL_TOKENS.start, SPECIAL_TOKENS.end, ...worldWords()];
}
