import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import { modelChoices, rankModelChoices, wantedKinds } from '../../src/engine/model-choices';
import { nodeServices } from '../../src/host/node-services';
import { BUNDLED_MODELS_DIR } from '../../src/models/runtime/runtime-node';
import { bundledRuntime } from '../helpers/models';
import type { GraphNode } from '../../src/graph/document';
import { parseManifest } from '../../src/models/runtime/manifest';

const manifest = parseManifest(JSON.parse(readFileSync('public/models/manifest.json', 'utf8')), 'manifest.json');
const registry = createRegistry();
const kindsOf = (type: string) => {
  const p = registry.get(type)!.params.model!;
  return p.kind === 'string' ? (p.models ?? []) : [];
};
const graph = JSON.parse(readFileSync('graphs/text-to-image.json', 'utf8')) as { nodes: GraphNode[] };

describe('the models a loader lists', () => {
  it("lists the manifest's models of the loader's kinds, with the title's name and short description", () => {
    const diffusion = modelChoices(manifest, kindsOf('diffusion/load-model'));
    expect(diffusion.map((c) => c.id)).toEqual([
      'mini-unclip-prior',
      'mini-unclip-decoder',
      'mini-unclip-upsampler',
      'mini-unclip-ar-prior',
      'mini-clip-noised',
      'mini-unclip-inpaint-decoder',
      'mini-unclip-upsampler256',
    ]);
    expect(diffusion.find((c) => c.id === 'mini-unclip-upsampler')).toEqual({
      id: 'mini-unclip-upsampler',
      kind: 'upsampler',
      title: 'mini-unCLIP upsampler',
      description: '32x32 -> 64x64',
    });
    // a CLIP pair is one choice, named as Load CLIP takes it
    expect(modelChoices(manifest, kindsOf('clip/load-model')).map((c) => [c.id, c.kind])).toEqual([
      ['mini-clip', 'clip'],
    ]);
    expect(modelChoices(manifest, kindsOf('dalle/load-model')).map((c) => c.id)).toEqual(['mini-dalle']);
  });

  it('puts first what the loader is wired to: upsamplers for an Upsample node, priors for a Prior', () => {
    const choices = modelChoices(manifest, kindsOf('diffusion/load-model'));
    const rank = (loader: string) => rankModelChoices(choices, wantedKinds(graph.nodes, registry, loader));
    expect(wantedKinds(graph.nodes, registry, 'upsampler_model')).toEqual(['upsampler']);
    expect(rank('upsampler_model').fitting.map((c) => c.id)).toEqual([
      'mini-unclip-upsampler',
      'mini-unclip-upsampler256',
    ]);
    expect(rank('upsampler_model').others.map((c) => c.kind)).not.toContain('upsampler');
    expect(rank('prior_model').fitting.map((c) => c.id)).toEqual(['mini-unclip-prior']);
    expect(rank('decoder_model').fitting.map((c) => c.id)).toEqual([
      'mini-unclip-decoder',
      'mini-unclip-inpaint-decoder',
    ]);
  });

  it('lists every model when the loader is wired to nothing', () => {
    const choices = modelChoices(manifest, kindsOf('diffusion/load-model'));
    const r = rankModelChoices(choices, wantedKinds([], registry, 'loose'));
    expect(r.fitting).toHaveLength(choices.length);
    expect(r.others).toEqual([]);
  });
});

describe("the engine's list for a loader", () => {
  it("lists the bundled models, and an external manifest's once a loader has opened it", async () => {
    const runtime = await bundledRuntime();
    const api = createEngineApi(registry, nodeServices({ models: runtime }));
    expect(api.modelChoices(['upsampler'])!.map((c) => c.id)).toEqual([
      'mini-unclip-upsampler',
      'mini-unclip-upsampler256',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'choices-'));
    const entry = manifest.models.find((e) => e.id === 'mini-unclip-upsampler')!;
    copyFileSync(join(BUNDLED_MODELS_DIR, entry.file), join(dir, entry.file));
    const other = join(dir, 'manifest.json');
    writeFileSync(other, JSON.stringify({ ...manifest, models: [{ ...entry, id: 'my-upsampler', title: 'Mine' }] }));
    expect(api.modelChoices(['upsampler'], other)).toBeNull(); // not opened yet: no list to offer
    api.loadGraph(
      JSON.stringify({
        format: 'unclip-studio/graph',
        version: 1,
        nodes: [{ id: 'up', type: 'diffusion/load-model', params: { model: 'my-upsampler', manifest: other } }],
      }),
    );
    expect((await api.run()).ok).toBe(true);
    expect(api.modelChoices(['upsampler'], other)).toEqual([
      { id: 'my-upsampler', kind: 'upsampler', title: 'Mine', description: 'upsampler' },
    ]);
  });
});
