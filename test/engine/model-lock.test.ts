import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import type { GraphDocument, LockedModel } from '../../src/graph/document';
import { nodeServices } from '../../src/host/node-services';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { sha256Hex } from '../../src/tensor/hash';
import { bundledRuntime } from '../helpers/models';

/**
 * The model lock against the bundled models: a graph saved with the models it was made with; a model
 * that differs or is missing fails its loader naming both hashes (before a run too), --unlock runs with
 * the models here, and a located file is accepted only when its hash is the one the graph needs.
 */
const text = readFileSync(new URL('../../graphs/text-to-image.json', import.meta.url), 'utf8');
const manifest = JSON.parse(readFileSync(new URL('../../public/models/manifest.json', import.meta.url), 'utf8')) as {
  models: Array<{ id: string; sha256: string; bytes: number; file: string }>;
};
const file = (id: string) =>
  new Uint8Array(
    readFileSync(new URL(`../../public/models/${manifest.models.find((m) => m.id === id)!.file}`, import.meta.url)),
  );
let runtime: ModelRuntime;
beforeAll(async () => {
  runtime = await bundledRuntime();
});
const apiOn = (models: ModelRuntime) => createEngineApi(createRegistry(), nodeServices({ models }));

/** The text-to-image graph as saved with its lock, with one locked model changed. */
async function lockedWith(change?: (m: LockedModel) => LockedModel | null): Promise<GraphDocument> {
  const r = await apiOn(runtime).lockModels(text);
  if (!r.ok) throw new Error('not locked');
  const models = (r.graph.models ?? []).map((m) => (change ? change(m) : m)).filter((m): m is LockedModel => !!m);
  return { ...r.graph, models };
}

describe('the model lock', () => {
  it('names every model the loaders opened: id, sha256, size, where from', async () => {
    const doc = await lockedWith();
    const ids = ['mini-clip-image', 'mini-clip-text', 'mini-unclip-decoder', 'mini-unclip-prior'];
    ids.push('mini-unclip-upsampler', 'mini-unclip-upsampler256');
    expect(doc.models!.map((m) => m.id)).toEqual(ids);
    for (const m of doc.models!) {
      const entry = manifest.models.find((e) => e.id === m.id)!;
      expect(m).toEqual({ id: m.id, sha256: entry.sha256, bytes: entry.bytes, source: '' });
    }
  });

  it('a model that differs fails its loader naming both hashes, is found before a run, and --unlock runs', async () => {
    const old = '0'.repeat(64);
    const doc = await lockedWith((m) => (m.id === 'mini-unclip-decoder' ? { ...m, sha256: old } : m));
    const api = apiOn(runtime);
    expect(api.loadGraph(doc).ok).toBe(true);
    const problems = await api.checkModelLock();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      nodeId: 'decoder_model',
      need: { needed: { id: 'mini-unclip-decoder', sha256: old } },
    });
    const r = await api.run();
    expect(r.nodes.decoder_model).toMatchObject({
      status: 'error',
      field: 'params.model',
      model: {
        needed: { sha256: old },
        here: { sha256: manifest.models.find((m) => m.id === 'mini-unclip-decoder')!.sha256 },
      },
    });
    expect(r.nodes.decoder_model!.message).toMatch(
      new RegExp(
        `made with model "mini-unclip-decoder" sha256 ${old} \\(.* MB, bundled\\); ` +
          'the model here is sha256 [0-9a-f]{64}',
      ),
    );
    expect(r.nodes.image!.message).toMatch(/upstream node/);
    expect(r.nodes.prior!.status).toBe('done'); // what does not need the decoder runs
    // saving keeps what the graph needs while its loader fails
    expect((await api.lockModels(doc)).ok && (await api.lockModels(doc))).toMatchObject({
      graph: { models: expect.arrayContaining([expect.objectContaining({ id: 'mini-unclip-decoder', sha256: old })]) },
    });
    api.setLockPolicy('ignore');
    expect((await api.run()).ok).toBe(true);
  });

  it('a cached loader is held to the lock as it is now (not in the keys); relock takes what is here', async () => {
    const api = apiOn(runtime);
    const good = await lockedWith();
    api.loadGraph(good);
    expect((await api.run({ targets: ['clip'] })).ok).toBe(true);
    const old = '1'.repeat(64);
    const changed = await lockedWith((m) => (m.id === 'mini-clip-image' ? { ...m, sha256: old } : m));
    api.loadGraph(changed);
    const r = await api.run({ targets: ['clip'] });
    expect(r.nodes.clip).toMatchObject({ status: 'error', cached: true, model: { needed: { id: 'mini-clip-image' } } });
    // a lock saved or changed does not re-key the graph: the prior's embedding stays cached
    api.loadGraph(good);
    await api.run({ targets: ['prior'] });
    api.loadGraph({ ...good, models: undefined });
    expect((await api.run({ targets: ['prior'] })).ran).toBe(0);
    // relock (graph lock): the models here, whatever the file said
    const relocked = await api.lockModels(changed, { relock: true });
    expect(relocked.ok && relocked.failed).toEqual([]);
    expect(relocked.ok && relocked.graph.models).toEqual(good.models);
    const kept = await api.lockModels(changed);
    expect(kept.ok && kept.failed.map((f) => f.nodeId)).toEqual(['clip']);
    expect(kept.ok && kept.graph.models!.find((m) => m.id === 'mini-clip-image')!.sha256).toBe(old);
  });

  it('a missing model says which one the graph was made with; an unlocked graph runs with what is here', async () => {
    const doc = await lockedWith();
    doc.nodes.find((n) => n.id === 'decoder_model')!.params!.model = 'mini-unclip-decoder-v0';
    doc.models!.push({ id: 'mini-unclip-decoder-v0', sha256: 'a'.repeat(64), bytes: 1_234_567, source: '' });
    const api = apiOn(runtime);
    api.loadGraph(doc);
    expect((await api.checkModelLock()).map((p) => `${p.nodeId}: ${p.message}`)).toEqual([
      `decoder_model: model "mini-unclip-decoder-v0" is not here; the graph was made with model ` +
        `"mini-unclip-decoder-v0" sha256 ${'a'.repeat(64)} (1.2 MB, bundled)`,
    ]);
    const r = await api.run({ targets: ['decoder_model'] });
    expect(r.nodes.decoder_model!.message).toMatch(
      /not in the manifest .*; the graph was made with model "mini-unclip-decoder-v0"/,
    );
    api.loadGraph({ ...doc, models: undefined });
    expect(await api.checkModelLock()).toEqual([]);
  });

  it('Locate...: a file is accepted only when its sha256 is the locked one, and the loader then opens it', async () => {
    const doc = await lockedWith();
    // the decoder here differs from the one the graph was made with (another file stands in for a retrained one)
    const here = await bundledRuntime(); // locating changes a runtime: not the shared one
    const other = file('mini-unclip-upsampler');
    here.provide('mini-unclip-decoder', other, sha256Hex(other));
    const api = apiOn(here);
    api.loadGraph(doc);
    expect((await api.checkModelLock()).map((p) => p.need.here?.sha256)).toEqual([sha256Hex(other)]);
    const wrong = await api.locateModel('decoder_model', file('mini-clip-text'));
    expect(wrong).toMatchObject({
      ok: false,
      issue: {
        nodeId: 'decoder_model',
        field: 'params.model',
        message: expect.stringMatching(/not a model the graph/),
      },
    });
    expect(await api.locateModel('decoder_model', file('mini-unclip-decoder'))).toEqual({
      ok: true,
      id: 'mini-unclip-decoder',
    });
    expect(await api.checkModelLock()).toEqual([]);
    const r = await api.run({ targets: ['decoder_model'] });
    expect(r.nodes.decoder_model, r.nodes.decoder_model!.message).toMatchObject({ status: 'done' });
  });
});
