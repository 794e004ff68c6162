/**
 * Port types: what flows along an edge. Few and meaningful; each names the
 * runtime value it carries (see PortValue in src/node-api/values.ts).
 */
export const PORT_TYPES = {
  Text: { color: '#d9a441', description: 'one or more strings' },
  Tokens: { color: '#b98b3e', description: 'token ids [N, L] with their tokenizer' },
  TextEmbedding: { color: '#e0679a', description: 'CLIP text embeddings [N, D]' },
  ImageEmbedding: { color: '#a66be0', description: 'CLIP image embeddings [N, D]' },
  Embedding: { color: '#c46ad0', description: 'any embeddings [N, D] (text or image)' },
  Image: { color: '#4aa3df', description: 'images [N, H, W, 3] in [0, 1]' },
  Latent: { color: '#3fb6a8', description: 'a diffusion latent / noise [N, C, H, W]' },
  Mask: { color: '#8fa3b3', description: 'a mask [N, H, W, 1] in [0, 1]' },
  Scores: { color: '#e07b39', description: 'scores with labels' },
  Codes: { color: '#9c7c5c', description: 'quantized codes [N, K] with their range' },
  PcaBasis: { color: '#7fa35b', description: 'a fitted PCA basis' },
  Model: { color: '#6b7b8c', description: 'a loaded model (manifest entry)' },
  Number: { color: '#9aa5b1', description: 'a number' },
} as const;

export type PortType = keyof typeof PORT_TYPES;
export const PORT_TYPE_NAMES = Object.keys(PORT_TYPES) as PortType[];

export function isPortType(name: string): name is PortType {
  return Object.prototype.hasOwnProperty.call(PORT_TYPES, name);
}

/** Which output types an input of a type accepts, beyond its own type. */
const WIDENINGS: Partial<Record<PortType, PortType[]>> = {
  // generic embedding ops take either kind of CLIP embedding
  Embedding: ['TextEmbedding', 'ImageEmbedding'],
  // unCLIP's ablation: a text embedding decoded as if it were an image embedding
  ImageEmbedding: ['TextEmbedding', 'Embedding'],
  TextEmbedding: ['Embedding'],
};

/** True when an output of type `from` may connect to an input of type `to`. */
export function canConnect(from: PortType, to: PortType): boolean {
  return from === to || (WIDENINGS[to]?.includes(from) ?? false);
}

/** "a" or "an" before a port type's name ("an Image", "a Text"). */
export function article(word: string): 'a' | 'an' {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** Why a connection is refused, or null when it is allowed. */
export function connectionRefusal(from: PortType, to: PortType): string | null {
  if (canConnect(from, to)) return null;
  const accepted = [to, ...(WIDENINGS[to] ?? [])].join(' or ');
  return `${article(from)} ${from} output cannot feed ${article(to)} ${to} input (it accepts ${accepted})`;
}
