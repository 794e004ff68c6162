import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightsSha, writeCards } from '../../eval/cards';
import { sha256Hex } from '../../src/tensor/hash';

function modelsFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'cards-'));
  writeFileSync(join(dir, 'a.onnx'), 'weights of a');
  writeFileSync(join(dir, 'b.onnx'), 'weights of b');
  const models = [
    { id: 'a', file: 'a.onnx', sha256: 'stale', card: { steps: 5, evaluation: { old: 1 } } },
    { id: 'b', file: 'b.onnx', sha256: 'stale', card: { steps: 7 } },
  ];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'unclip-studio/models', version: 1, models }));
  return dir;
}

describe('model cards written by the evals', () => {
  it('name the weights by hashing the file, not by the manifest field', () => {
    const dir = modelsFolder();
    expect(weightsSha(dir)('a')).toBe(sha256Hex(new TextEncoder().encode('weights of a')));
    expect(() => weightsSha(dir)('c')).toThrow(/has no model 'c'/);
  });

  it('replace the named section and keep the rest of the card and the other models', () => {
    const dir = modelsFolder();
    writeCards(dir, { a: { evaluation: { new: 2 } } });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.models[0].card).toEqual({ steps: 5, evaluation: { new: 2 } });
    expect(m.models[1].card).toEqual({ steps: 7 });
    expect(m.format).toBe('unclip-studio/models');
  });

  it('refuse a model the manifest lacks and leave the file as it was', () => {
    const dir = modelsFolder();
    const before = readFileSync(join(dir, 'manifest.json'), 'utf8');
    expect(() => writeCards(dir, { a: { evaluation: {} }, zzz: { evaluation: {} } })).toThrow(/no model 'zzz'/);
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(before);
  });
});
