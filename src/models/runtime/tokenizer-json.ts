import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { quoteValue } from '../../tensor/quote';
import { encodeBatchWith, type Tokenizer, type TokenizedBatch } from './tokenizer';

/**
 * A tokenizer.json (Hugging Face's tokenizers format) read by @huggingface/tokenizers, the library transformers.js
 * tokenizes with: normalizer, pre-tokenizer, model (byte-level BPE for CLIP) and post-processor as the file says.
 * Texts longer than the context are cut as Hugging Face's truncation cuts them: the text's tokens end early, the
 * post-processor's start and end tokens stay. Padding is ours (to the context, with the pad token of
 * tokenizer_config.json, else tokenizer.json's padding, else the end token, as CLIP pads).
 */
export class JsonTokenizer implements Tokenizer {
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  private lib: HfTokenizer;

  constructor(
    json: Record<string, unknown>,
    config: Record<string, unknown> | undefined,
    readonly contextLength: number,
  ) {
    this.lib = new HfTokenizer(json, config ?? {});
    // the post-processor's tokens around a text: those of "a" with special tokens less those without
    const full = this.lib.encode('a').ids,
      bare = this.lib.encode('a', { add_special_tokens: false }).ids;
    const at = prefixLength(full, bare);
    this.startId = at > 0 ? full[0]! : -1;
    this.endId = full.length > at + bare.length ? full[full.length - 1]! : -1;
    const padToken = tokenName(config?.pad_token) ?? tokenName((json.padding as { pad_token?: unknown })?.pad_token);
    const pad = padToken === undefined ? undefined : this.lib.token_to_id(padToken);
    if (padToken !== undefined && pad === undefined)
      throw new Error(`the pad token ${quoteValue(padToken, 30)} is not in the vocabulary`);
    if (pad === undefined && this.endId < 0) throw new Error('tokenizer.json gives no pad token and no end token');
    this.padId = pad ?? this.endId;
  }

  encode(text: string): number[] {
    const full = this.lib.encode(text).ids;
    if (full.length <= this.contextLength) return full;
    const bare = this.lib.encode(text, { add_special_tokens: false }).ids;
    const at = prefixLength(full, bare),
      specials = full.length - bare.length;
    if (specials >= this.contextLength)
      throw new Error(`the context of ${this.contextLength} holds no text besides ${specials} special tokens`);
    return [...full.slice(0, at), ...bare.slice(0, this.contextLength - specials), ...full.slice(at + bare.length)];
  }

  encodeBatch(texts: string[]): TokenizedBatch {
    return encodeBatchWith(this, texts);
  }
}

/** A token's text from tokenizer_config.json ("<pad>" or an AddedToken object with `content`). */
function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

/** Where `bare` sits inside `full` (the count of tokens put before it). */
function prefixLength(full: number[], bare: number[]): number {
  for (let at = 0; at + bare.length <= full.length; at++) if (bare.every((id, i) => full[at + i] === id)) return at;
  throw new Error("tokenizer.json's post-processor changes the text's tokens (only tokens around it are read)");
}
