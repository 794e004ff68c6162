import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import { PRODUCT_VERSION, upstreamOf } from '../../src/engine/provenance';
import type { GraphDocument } from '../../src/graph/document';
import { readProvenance } from '../../src/graph/provenance';
import { extractGraph } from '../../src/graph/png-graph';
import { nodeServices } from '../../src/host/node-services';
import { bundledRuntime } from '../helpers/models';

const runtime = await bundledRuntime();
const clipRank = readFileSync(new URL('../../graphs/clip-rank.json', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe("a picture's provenance", () => {
  it('every PNG the engine writes carries the models upstream of it, onnxruntime, backend and version', async () => {
    const api = createEngineApi(createRegistry(), nodeServices({ models: runtime }));
    expect(api.loadGraph(clipRank).ok).toBe(true);
    expect((await api.run()).ok).toBe(true);
    const png = api.imagePng('rank', 'top', 1);
    expect(extractGraph(png)).not.toBeNull();
    const { provenance, notice } = readProvenance(png);
    expect(notice).toBeUndefined();
    const manifest = runtime.manifest.models;
    expect(provenance).toEqual({
      format: 'unclip-studio/provenance',
      version: 1,
      product: { name: 'unclip-studio', version: pkg.version },
      runtime: { name: 'onnxruntime-web', version: expect.stringMatching(/^1\.\d+\.\d+/) },
      backends: ['wasm'],
      models: ['mini-clip-image', 'mini-clip-text'].map((id) => {
        const e = manifest.find((m) => m.id === id)!;
        return { id, sha256: e.sha256, bytes: e.bytes, source: '', backend: 'wasm' };
      }),
      picture: { node: 'rank', port: 'top', index: 1 },
    });
    expect(PRODUCT_VERSION).toBe(pkg.version);
    // the rendered candidates need no model: CLIP, loaded beside them, is not theirs
    expect(api.provenance('candidates', 'image', 0)).toMatchObject({ models: [], backends: [] });
    // the same recipe writes the same bytes
    expect(Buffer.from(api.imagePng('rank', 'top', 1)).equals(Buffer.from(png))).toBe(true);
  });

  it('walks upstream through subgraph instances to the nodes inside them', () => {
    const doc: Pick<GraphDocument, 'nodes' | 'subgraphs'> = {
      nodes: [
        { id: 'load', type: 'clip/load-model' },
        { id: 'other', type: 'clip/load-model' },
        { id: 'inst', type: 'subgraph/s', inputs: { m: 'load.model' } },
        { id: 'out', type: 'image/resize', inputs: { image: 'inst.image' } },
      ],
      subgraphs: {
        s: {
          inputs: { m: { type: 'Model' } },
          outputs: { image: 'dec.image' },
          nodes: [
            { id: 'inner', type: 'diffusion/load-model' },
            { id: 'dec', type: 'diffusion/decode', inputs: { model: 'inner.model', clip: '$in.m' } },
          ],
        },
      },
    };
    const up = upstreamOf(doc, 'out');
    expect([...up].sort()).toEqual(['inst', 'inst/dec', 'inst/inner', 'load', 'out']);
    expect(up.has('other')).toBe(false);
  });
});
