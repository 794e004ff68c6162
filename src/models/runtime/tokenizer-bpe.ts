import { encodeBatchWith, specialIds, withinContext, type Tokenizer, type TokenizedBatch } from './tokenizer';

/** GPT-2 / CLIP's reversible byte -> printable unicode map. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table: string[] = new Array(256);
  bs.forEach((b, i) => {
    table[b] = String.fromCodePoint(cs[i]!);
  });
  return table;
}

const BYTE_ENCODER = bytesToUnicode();
// CLIP's pattern (simple_tokenizer.py), case-insensitive.
const TOKEN_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

function decodeHtmlEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return named[body.toLowerCase()] ?? m;
  });
}

/**
 * CLIP's byte-level BPE (openai/CLIP simple_tokenizer), from Hugging Face's
 * vocab.json and merges.txt: text is cleaned (HTML entities, NFC, collapsed
 * whitespace), lower-cased, split by CLIP's pattern, each piece's UTF-8 bytes
 * mapped to unicode and merged by rank, the last symbol marked with </w>.
 */
export class ClipBpeTokenizer implements Tokenizer {
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  private ranks = new Map<string, number>();
  private cache = new Map<string, string[]>();

  constructor(
    private vocab: Record<string, number>,
    merges: string,
    readonly contextLength: number,
    specials: { start: string; end: string; pad: string },
  ) {
    const lines = merges.split('\n');
    let rank = 0;
    for (const line of lines) {
      if (!line || line.startsWith('#version')) continue;
      const parts = line.split(' ');
      if (parts.length !== 2) continue;
      this.ranks.set(`${parts[0]} ${parts[1]}`, rank++);
    }
    ({ startId: this.startId, endId: this.endId, padId: this.padId } = specialIds(vocab, specials));
  }

  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = [...token];
    let word = chars.slice(0, -1).concat(chars[chars.length - 1]! + '</w>');
    while (word.length > 1) {
      let best = -1,
        bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best]!,
        b = word[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(word[i]!);
      }
      word = merged;
    }
    this.cache.set(token, word);
    return word;
  }

  /** Token ids without start/end tokens. */
  tokens(text: string): number[] {
    let clean = decodeHtmlEntities(decodeHtmlEntities(text)).normalize('NFC').trim();
    clean = clean.replace(/\s+/g, ' ').trim().toLowerCase();
    const ids: number[] = [];
    for (const match of clean.matchAll(TOKEN_PATTERN)) {
      const piece = match[0];
      const special = piece === '<|startoftext|>' || piece === '<|endoftext|>' ? this.vocab[piece] : undefined;
      if (special !== undefined) {
        ids.push(special);
        continue;
      }
      const encoded = Array.from(new TextEncoder().encode(piece), (b) => BYTE_ENCODER[b]!).join('');
      for (const sym of this.bpe(encoded)) {
        const id = this.vocab[sym];
        if (id === undefined) throw new Error(`BPE symbol "${sym}" is not in the vocabulary`);
        ids.push(id);
      }
    }
    return ids;
  }

  encode(text: string): number[] {
    const ids = [this.startId, ...this.tokens(text), this.endId];
    return withinContext(ids, text, this.contextLength);
  }

  encodeBatch(texts: string[]): TokenizedBatch {
    return encodeBatchWith(this, texts);
  }
}
