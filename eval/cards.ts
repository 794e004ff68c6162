/**
 * Model cards: the one place the evals write their figures into a models folder's manifest.json. Every figure
 * names the weights it measured by the sha256 of the file itself (not the manifest's own field, which could be
 * stale), so a card whose weights change can be told apart from one that still holds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../src/tensor/hash';

interface ManifestEntry {
  id: string;
  file: string;
  card?: Record<string, unknown>;
}

function readManifest(modelsDir: string): { path: string; manifest: { models: ManifestEntry[] } } {
  const path = join(modelsDir, 'manifest.json');
  return { path, manifest: JSON.parse(readFileSync(path, 'utf8')) as { models: ManifestEntry[] } };
}

/** A function from model id to the sha256 of that model's weights file in `modelsDir`. */
export function weightsSha(modelsDir: string): (id: string) => string {
  const { manifest } = readManifest(modelsDir);
  const cache = new Map<string, string>();
  return (id) => {
    const entry = manifest.models.find((m) => m.id === id);
    if (!entry) throw new Error(`${join(modelsDir, 'manifest.json')} has no model '${id}'`);
    if (!cache.has(id)) cache.set(id, sha256Hex(readFileSync(join(modelsDir, entry.file))));
    return cache.get(id)!;
  };
}

/**
 * Sets card sections: `sections` maps a model id to the fields its card gets (e.g. `{ evaluation: {...} }`), each
 * replacing the field of that name and leaving the card's others. Every id must be in the manifest. Returns the
 * manifest's path.
 */
export function writeCards(modelsDir: string, sections: Record<string, Record<string, unknown>>): string {
  const { path, manifest } = readManifest(modelsDir);
  for (const id of Object.keys(sections))
    if (!manifest.models.some((m) => m.id === id)) throw new Error(`${path} has no model '${id}' to write a card for`);
  for (const e of manifest.models) if (sections[e.id]) e.card = { ...e.card, ...sections[e.id] };
  writeFileSync(path, JSON.stringify(manifest, null, 2) + '\n');
  return path;
}
