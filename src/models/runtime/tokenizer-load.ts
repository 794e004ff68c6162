import type { TokenizerSpec } from './manifest';
import type { Tokenizer } from './tokenizer';
import { ClipBpeTokenizer } from './tokenizer-bpe';
import { JsonTokenizer } from './tokenizer-json';
import { WordTokenizer } from './tokenizer-word';

/** Reads a file named by a tokenizer spec (relative to its manifest or folder) and says where it is. */
export interface TokenizerFiles {
  read(path: string): Promise<Uint8Array>;
  describe(path: string): string;
}

async function json(files: TokenizerFiles, path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(new TextDecoder().decode(await files.read(path))) as Record<string, unknown>;
  } catch (err) {
    // the parser's message would quote the file's first bytes
    throw err instanceof SyntaxError ? new Error(`${files.describe(path)} is not valid JSON`) : err;
  }
}

/** A tokenizer from its spec: word-level (a word map or a WordLevel tokenizer.json), CLIP BPE, tokenizer.json. */
export async function loadTokenizer(spec: TokenizerSpec, files: TokenizerFiles): Promise<Tokenizer> {
  const vocab = await json(files, spec.vocab);
  if (spec.type === 'tokenizer-json')
    return new JsonTokenizer(vocab, spec.config ? await json(files, spec.config) : undefined, spec.contextLength);
  const specials = spec.specialTokens!;
  if (spec.type === 'word') {
    // a tokenizer.json's WordLevel model holds the word map (published-layout.ts checked the rest of the file)
    const model = vocab.model as { vocab?: unknown } | undefined;
    const words = (model && typeof model.vocab === 'object' ? model.vocab : vocab) as Record<string, number>;
    return new WordTokenizer(words, spec.contextLength, specials);
  }
  if (!spec.merges) throw new Error('a clip-bpe tokenizer needs "merges"');
  const merges = new TextDecoder().decode(await files.read(spec.merges));
  return new ClipBpeTokenizer(vocab as Record<string, number>, merges, spec.contextLength, specials);
}
