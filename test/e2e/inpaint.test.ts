import { describe, expect, it } from 'vitest';
import { graphDoc, openFile, saved, selectNode, serveEditorPages, snap } from './harness';

const openEditor = serveEditorPages();

describe('the inpainting example', () => {
  it('runs in the browser; the inspector draws the mask over the source, magenta where it regenerates', async () => {
    const p = await openEditor('inpaint');
    await p.getByTestId('run').click();
    await p.waitForSelector('.gnode[data-node-id="image"] [data-testid=thumb]', { timeout: 120_000 });
    await selectNode(p, 'fill');
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

describe('painting a mask', () => {
  it('paints over the wired picture in the inspector, one undo step a stroke, and the node outputs it', async () => {
    const graph = graphDoc('Paint', [
      { id: 'pic', type: 'io/load-image', params: { src: 'examples/red-circle.png' }, ui: { x: 0, y: 0 } },
      { id: 'paint', type: 'mask/paint', inputs: { image: 'pic.image' }, ui: { x: 360, y: 0 } },
    ]);
    const p = await openEditor();
    await openFile(p, 'paint.json', JSON.stringify(graph));
    await p.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'Paint');
    await p.getByTestId('run').click();
    await p.waitForSelector('.gnode[data-node-id=pic] [data-testid=thumb]');
    await selectNode(p, 'paint');
    const canvas = p.getByTestId('paint-canvas');
    await canvas.waitFor();
    const box = (await canvas.boundingBox())!;
    const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
    // one stroke across the middle
    await p.mouse.move(...at(0.2, 0.5));
    await p.mouse.down();
    for (let i = 0; i <= 10; i++) await p.mouse.move(...at(0.2 + 0.06 * i, 0.5));
    await p.mouse.up();
    const summary = p.locator('.gnode[data-node-id=paint] [data-param=mask]');
    await expect.poll(() => summary.textContent()).toMatch(/^\d+ of 64x64 px painted/);
    const painted = Number((await summary.textContent())!.split(' ')[0]);
    expect(painted).toBeGreaterThan(150); // a 3 px brush over ~38 px
    // the stroke, tinted over the picture (red circle under magenta at the centre)
    const centre = await canvas.evaluate((c: HTMLCanvasElement) =>
      Array.from(c.getContext('2d')!.getImageData(32, 32, 1, 1).data),
    );
    expect(centre[2]! - centre[1]!).toBeGreaterThan(80);
    await snap(p, 'mask-painted');
    // saved in the graph as run-length text
    const doc = await saved<{ nodes: Array<{ id: string; params?: { mask?: string } }> }>(p);
    expect(doc.nodes.find((n) => n.id === 'paint')!.params!.mask).toMatch(/^rle:64x64:[0-9a-z.]+$/);
    // the node outputs it
    await p.getByTestId('run').click();
    await p.waitForSelector('.inspector [data-port=mask] canvas');
    expect(await p.locator('.inspector [data-port=mask] h4').textContent()).toMatch(/over its picture/);
    // an eraser stroke, then Undo takes back only the eraser's stroke
    await p.getByTestId('eraser').check();
    await p.mouse.move(...at(0.3, 0.5));
    await p.mouse.down();
    await p.mouse.move(...at(0.5, 0.5), { steps: 5 });
    await p.mouse.up();
    await expect.poll(async () => Number((await summary.textContent())!.split(' ')[0])).toBeLessThan(painted);
    await p.getByRole('button', { name: 'Undo', exact: true }).click();
    await expect.poll(async () => Number((await summary.textContent())!.split(' ')[0])).toBe(painted);
    await p.getByRole('button', { name: 'Undo', exact: true }).click();
    await expect.poll(() => summary.textContent()).toMatch(/^nothing painted/);
    await p.close();
  });
});
