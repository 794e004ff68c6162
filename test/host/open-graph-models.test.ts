import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { nodeServices } from '../../src/host/node-services';
import { openGraphModels } from '../../src/host/open-graph-models';
import { bundledRuntime, engineOn } from '../helpers/models';

import { DEFAULT_EXAMPLE, DEFAULT_GRAPH } from '../../src/host/default-graph';

it("the graph the worker opens ahead is the editor's default example, as graphs/ has it", () => {
  expect(DEFAULT_GRAPH).toBe(readFileSync(new URL(`../../graphs/${DEFAULT_EXAMPLE}.json`, import.meta.url), 'utf8'));
});

describe("opening a graph's models ahead of its first run", () => {
  it('opens the session of every model its loaders name, and nothing else of the graph runs', async () => {
    const models = await bundledRuntime();
    const result = await openGraphModels(createRegistry(), nodeServices({ models }), DEFAULT_GRAPH);
    expect(result.ok).toBe(true);
    expect(Object.keys(result.nodes).sort()).toEqual(
      ['clip', 'decoder_model', 'prior_model', 'upsampler256_model', 'upsampler_model'].sort(),
    );
    expect(
      models
        .loadTimings()
        .map((t) => t.id)
        .sort(),
    ).toEqual(
      [
        'mini-clip-image',
        'mini-clip-text',
        'mini-unclip-decoder',
        'mini-unclip-prior',
        'mini-unclip-upsampler',
        'mini-unclip-upsampler256',
      ].sort(),
    );

    // the graph's own run then opens none again: its loaders find the sessions open
    const engine = engineOn(models);
    engine.load(DEFAULT_GRAPH);
    const run = await engine.run({ targets: ['up64'] });
    expect(run.ok).toBe(true);
    expect(models.loadTimings()).toHaveLength(6);
  }, 120_000);

  it('says which loader failed and why, without throwing (the run that needs it says it again)', async () => {
    const models = await bundledRuntime();
    const graph = JSON.parse(DEFAULT_GRAPH) as { nodes: Array<{ id: string; params?: Record<string, unknown> }> };
    graph.nodes.find((n) => n.id === 'decoder_model')!.params!.model = 'no-such-decoder';
    const result = await openGraphModels(createRegistry(), nodeServices({ models }), JSON.stringify(graph));
    expect(result.ok).toBe(false);
    expect(result.nodes.decoder_model).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/no-such-decoder/),
    });
    expect(result.nodes.prior_model?.status).toBe('done');
  }, 120_000);
});
