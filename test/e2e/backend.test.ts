import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openEditorPage, reloadEditor, snap, startServer } from './harness';

/**
 * The model backends in the browser: WASM (the default), WebGPU where there is an adapter (Chromium's software one,
 * SwiftShader, with --enable-unsafe-webgpu; slow, but the same onnxruntime WebGPU kernels a GPU runs), and the
 * fallback to WASM with a notice where there is none.
 */
let server: Awaited<ReturnType<typeof startServer>>;
let plain: Browser;
let gpu: Browser;

beforeAll(async () => {
  server = await startServer();
  plain = await launchBrowser();
  gpu = await launchBrowser(['--enable-unsafe-webgpu']);
});
afterAll(async () => {
  await plain?.close();
  await gpu?.close();
  await server?.close();
});

const GRAPH = readFileSync(new URL('../fixtures/backend-check.json', import.meta.url), 'utf8');

interface Outputs {
  ok: boolean;
  messages: string[];
  notices: string[];
  text: number[];
  prior: number[];
  image: number[];
}

/** Runs the backend-check graph through the page's engine on one backend. */
async function runOn(p: Page, backend: string): Promise<Outputs> {
  return p.evaluate(
    async ({ graph, backend }) => {
      type Engine = {
        loadGraph(g: string): Promise<{ ok: boolean }>;
        run(o: object): Promise<{ ok: boolean; notices?: string[]; nodes: Record<string, { message?: string }> }>;
        tensor(n: string, p: string): Promise<{ data: Float32Array }>;
      };
      const e = (window as unknown as { unclipStudio: { engine: Engine } }).unclipStudio.engine;
      await e.loadGraph(graph);
      const r = await e.run({ backend });
      const get = async (n: string, port: string) => Array.from((await e.tensor(n, port)).data);
      return {
        ok: r.ok,
        messages: Object.values(r.nodes).flatMap((n) => (n.message ? [n.message] : [])),
        notices: r.notices ?? [],
        text: await get('text_emb', 'embedding'),
        prior: await get('prior', 'embedding'),
        image: await get('image', 'image'),
      };
    },
    { graph: GRAPH, backend },
  );
}

const maxAbs = (a: number[], b: number[]) => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
};

describe('model backends', () => {
  it('WebGPU gives the WASM path’s outputs (text embedding, prior sample, two decoder steps)', async (ctx) => {
    const p = await openEditorPage(gpu, server.url);
    const adapter = await p.evaluate(async () => {
      const g = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return g ? (await g.requestAdapter()) !== null : false;
    });
    if (!adapter) ctx.skip('this Chromium has no WebGPU adapter (not even SwiftShader): the WebGPU path is untested');
    const wasm = await runOn(p, 'wasm');
    const webgpu = await runOn(p, 'webgpu');
    expect(wasm.ok && webgpu.ok, [...wasm.messages, ...webgpu.messages].join('; ')).toBe(true);
    expect(webgpu.notices).toEqual([]);
    // measured: 6e-8, 2e-6 and 2e-4 (two decoder steps with guidance 3 amplify the last bits)
    expect(maxAbs(wasm.text, webgpu.text)).toBeLessThan(1e-5);
    expect(maxAbs(wasm.prior, webgpu.prior)).toBeLessThan(1e-4);
    expect(maxAbs(wasm.image, webgpu.image)).toBeLessThan(5e-3);
    const info = (await p.evaluate(() =>
      (
        window as unknown as { unclipStudio: { engine: { runtimeInfo(): Promise<unknown> } } }
      ).unclipStudio.engine.runtimeInfo(),
    )) as { gpu: { available: boolean }; loads: Array<{ id: string; ep: string }> };
    expect(info.gpu.available).toBe(true);
    const onGpu = info.loads.filter((l) => l.ep === 'webgpu').map((l) => l.id);
    expect(onGpu).toEqual(expect.arrayContaining(['mini-clip-text', 'mini-unclip-prior', 'mini-unclip-decoder']));
    // auto never picks a software adapter: back on auto, the models run on WASM (no new WebGPU session)
    const auto = await runOn(p, 'auto');
    expect(maxAbs(wasm.image, auto.image)).toBe(0);
    await p.close();
  });

  it('WebGPU asked for where there is none: the run goes on WASM and says so', async () => {
    const p = await openEditorPage(plain, server.url);
    await p.selectOption('[data-testid=backend]', 'webgpu');
    await p.getByTestId('run').click();
    await expect
      .poll(() => p.getByTestId('notice').textContent(), { timeout: 60_000 })
      .toMatch(/WebGPU is not available \(.+\): the models run on WASM/);
    await p.waitForSelector('.gnode[data-node-id="image"] [data-testid=thumb]', { timeout: 120_000 });
    await snap(p, 'webgpu-fallback-notice');
    // the choice is kept for the next visit
    await reloadEditor(p);
    expect(await p.locator('[data-testid=backend]').inputValue()).toBe('webgpu');
    await p.close();
  });
});
