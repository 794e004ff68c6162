import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openEditorPage, openExample, snap, startServer } from './harness';

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the inpainting example', () => {
  it('runs in the browser; the inspector draws the mask over the source, magenta where it regenerates', async () => {
    const p = await openEditorPage(browser, server.url);
    await openExample(p, 'inpaint');
    await p.getByTestId('run').click();
    await p.waitForSelector('.gnode[data-node-id="image"] [data-testid=thumb]', { timeout: 120_000 });
    await p.locator('.gnode[data-node-id=fill] .gnode-name').click();
    const section = p.locator('.inspector [data-port=mask]');
    await section.locator('canvas').first().waitFor();
    expect(await section.locator('h4').textContent()).toMatch(/over its picture, magenta = regenerate/);
    const [inside, outside] = await section
      .locator('canvas')
      .first()
      .evaluate((c: HTMLCanvasElement) => {
        const px = (x: number, y: number) =>
          Array.from(c.getContext('2d')!.getImageData(Math.floor(x * c.width), Math.floor(y * c.height), 1, 1).data);
        return [px(0.5, 0.5), px(0.03, 0.03)];
      });
    expect(inside[0]! - inside[1]!).toBeGreaterThan(80); // magenta over the red circle: r and b well above g
    expect(inside[2]! - inside[1]!).toBeGreaterThan(80);
    expect(Math.abs(outside[0]! - outside[1]!)).toBeLessThan(10); // the white border, dimmed: grey
    await snap(p, 'inpaint-mask-overlay');
    await p.close();
  });
});
