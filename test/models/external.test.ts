import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Codes } from '../../src/node-api/values';
import { parseManifest, type Manifest } from '../../src/models/runtime/manifest';
import { BUNDLED_MODELS_DIR } from '../../src/models/runtime/runtime-node';
import type { Float32Tensor } from '../../src/tensor/tensor';
import { bundledRuntime, runGraph } from '../helpers/models';

const runtime = await bundledRuntime();
const bundled = parseManifest(JSON.parse(readFileSync(join(BUNDLED_MODELS_DIR, 'manifest.json'), 'utf8')));

/** A folder elsewhere holding some bundled models under new ids, with its own manifest. */
function externalFolder(ids: string[], edit?: (m: Manifest) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'ext-models-'));
  const m: Manifest = { ...bundled, models: structuredClone(bundled.models.filter((e) => ids.includes(e.id))) };
  for (const e of m.models) copyFileSync(join(BUNDLED_MODELS_DIR, e.file), join(dir, e.file));
  copyFileSync(join(BUNDLED_MODELS_DIR, 'shapesworld-vocab.json'), join(dir, 'shapesworld-vocab.json'));
  edit?.(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  return join(dir, 'manifest.json');
}

describe('models from an external manifest, every family', () => {
  it('an upsampler from another folder gives the bundled one’s picture, bit for bit', async () => {
    const manifest = externalFolder(['mini-unclip-upsampler']);
    const nodes = (m: string) => [
      { id: 'up', type: 'diffusion/load-model', params: { model: 'mini-unclip-upsampler', manifest: m } },
      { id: 'scene', type: 'world/render-scene', params: { caption: 'a red circle', seed: 1 } },
      { id: 'dalle', type: 'dalle/load-model', params: {} },
      { id: 'codes', type: 'dalle/encode', inputs: { dvae: 'dalle.dvae', image: 'scene.image' } },
      { id: 'small', type: 'dalle/decode', inputs: { dvae: 'dalle.dvae', codes: 'codes.codes' } },
      {
        id: 'big',
        type: 'diffusion/upsample',
        params: { steps: 2 },
        inputs: { upsampler: 'up.model', image: 'small.image' },
      },
    ];
    const run = async (m: string) => {
      const { engine: e, result: r } = await runGraph(runtime, nodes(m));
      expect(Object.values(r.nodes).every((n) => n.status === 'done')).toBe(true);
      return (e.outputsOf('big')!.image as Float32Tensor).data;
    };
    expect(await run(manifest)).toEqual(await run(''));
  });

  it('a DALL·E transformer and dVAE from another folder sample the bundled grids', async () => {
    const manifest = externalFolder(['mini-dalle', 'mini-dalle-dvae-encoder', 'mini-dalle-dvae-decoder']);
    const run = async (m: string) => {
      const { engine: e, result: r } = await runGraph(runtime, [
        { id: 'dalle', type: 'dalle/load-model', params: { manifest: m } },
        { id: 'prompt', type: 'text/prompt', params: { text: 'a blue square' } },
        {
          id: 's',
          type: 'dalle/sample',
          params: { count: 2, seed: 4 },
          inputs: { transformer: 'dalle.transformer', text: 'prompt.text' },
        },
        { id: 'd', type: 'dalle/decode', inputs: { dvae: 'dalle.dvae', codes: 's.codes' } },
      ]);
      expect(r.ok).toBe(true);
      return (e.outputsOf('s')!.codes as Codes).codes.data;
    };
    expect(await run(manifest)).toEqual(await run(''));
  });

  it('refuses a model whose inputs do not fit its family, naming what it lacks, quoting nothing', async () => {
    const manifest = externalFolder(['mini-unclip-decoder'], (m) => {
      m.models[0]!.inputs = m.models[0]!.inputs.filter((i) => i.name !== 'image_embed');
    });
    const { result: r } = await runGraph(runtime, [{ id: 'dec', type: 'diffusion/load-model', params: { manifest } }]);
    expect(r.nodes.dec).toMatchObject({ status: 'error', field: 'params.model' });
    expect(r.nodes.dec!.message).toMatch(/model #0 does not fit the decoder family: it lacks input image_embed/);
  });

  it('refuses a dVAE whose codebook differs from its transformer’s, naming both', async () => {
    const manifest = externalFolder(['mini-dalle', 'mini-dalle-dvae-encoder', 'mini-dalle-dvae-decoder'], (m) => {
      for (const e of m.models) if (e.kind !== 'dalle') e.dalle = { ...e.dalle!, codes: 256 };
    });
    const { result: r } = await runGraph(runtime, [{ id: 'dalle', type: 'dalle/load-model', params: { manifest } }]);
    expect(r.nodes.dalle!.message).toMatch(/models 512 codes on 8x8, its dVAE "mini-dalle-dvae" has 256 on 8x8/);
  });
});
