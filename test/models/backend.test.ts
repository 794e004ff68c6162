import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import { nodeServices } from '../../src/host/node-services';
import { GraphError } from '../../src/graph/errors';
import { createModelRuntime } from '../../src/models/runtime/runtime-node';

const GRAPH = readFileSync(new URL('../fixtures/backend-check.json', import.meta.url), 'utf8');

describe('the run option backend (auto | wasm | webgpu)', () => {
  it('WebGPU asked for where there is none: WASM and a notice; a backend change re-runs every node', async () => {
    const models = (await createModelRuntime())!;
    const api = createEngineApi(createRegistry(), nodeServices({ models }));
    expect(api.loadGraph(GRAPH).ok).toBe(true);
    const onGpu = await api.run({ backend: 'webgpu' });
    expect(onGpu.ok).toBe(true);
    expect(onGpu.notices).toEqual([expect.stringMatching(/^WebGPU is not available \(this host has no WebGPU.*\): /)]);
    const image = api.tensor('image', 'image').data;
    const info = (await api.runtimeInfo())!;
    expect(info.backend).toBe('webgpu');
    expect(info.gpu.available).toBe(false);
    expect(new Set(info.loads.map((l) => l.ep))).toEqual(new Set(['wasm']));
    // every session's load phases are there; the first one started the WASM engine
    for (const l of info.loads) expect(l.totalMs).toBeGreaterThanOrEqual(l.readMs + l.hashMs + l.createMs - 1e-6);
    expect(info.loads.filter((l) => l.first)).toHaveLength(1);

    const again = await api.run({ backend: 'webgpu' });
    expect([again.ran, again.notices]).toEqual([0, undefined]); // memoized: nothing ran, nothing to say
    const onWasm = await api.run({ backend: 'wasm' });
    expect(onWasm.ran).toBe(again.fromCache); // another backend: every node afresh
    expect(onWasm.notices).toBeUndefined();
    expect(api.tensor('image', 'image').data).toEqual(image); // same sessions underneath: same numbers
    const sessionsBefore = (await api.runtimeInfo())!.loads.length;
    expect((await api.run({ backend: 'auto' })).ran).toBe(onWasm.ran);
    expect((await api.runtimeInfo())!.loads.length).toBe(sessionsBefore); // sessions are reused across runs
  });

  it('an unknown backend is refused by name', async () => {
    const api = createEngineApi(createRegistry(), nodeServices({ models: await createModelRuntime() }));
    api.loadGraph(GRAPH);
    const err = await api.run({ backend: 'cuda' as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).issues[0]).toMatchObject({ field: 'backend', message: expect.stringMatching(/"cuda"/) });
  });
});
