import { canonicalJson, sha256Hex } from '../tensor/hash';

// the hashing itself lives in src/tensor/hash.ts (models check files with it too: imports point down)
export { canonicalJson, sha256Hex };

const recentKeys = new Map<string, string>();

/**
 * The memo key of a node: a Merkle hash over its type, version, params and
 * its inputs' keys. Hashes of recently seen descriptions are remembered, so
 * re-planning an unchanged graph costs a string lookup per node.
 */
export function nodeKey(parts: {
  type: string;
  version: number;
  params: Record<string, unknown>;
  bypass: boolean;
  inputs: Record<string, string>;
  /** What else decides the result (the model backend when it is not the default); absent: nothing. */
  context?: string;
}): string {
  const text = canonicalJson(parts);
  let key = recentKeys.get(text);
  if (key === undefined) {
    key = sha256Hex(text);
    if (recentKeys.size >= 50_000) recentKeys.clear();
    recentKeys.set(text, key);
  }
  return key;
}
