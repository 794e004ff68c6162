/**
 * README's picture (docs/screenshot.png): the built editor in headless Chromium at 1400x900 with the default graph
 * (graphs/text-to-image.json) run, fitted to the view, and its last node, the 256x256 picture, in the inspector.
 * Run: npm run build && npx tsx scripts/screenshot.ts [out.png]
 */
import { existsSync } from 'node:fs';
import { launchBrowser, openEditorPage, runToSummary, selectNode, startServer } from '../test/e2e/harness';

const out = process.argv[2] ?? 'docs/screenshot.png';
if (!existsSync('dist/index.html')) throw new Error('no dist/: run npm run build first');
const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await openEditorPage(browser, server.url);
  const summary = await runToSummary(page, 180_000);
  if (!summary || /error|failed/i.test(summary)) throw new Error(`the default graph did not run: ${summary}`);
  await selectNode(page, 'image', '.port-view[data-port=image] canvas');
  await page.keyboard.press('f'); // the whole pipeline in view
  await page.waitForTimeout(800); // the view settled, the inspector's picture drawn
  await page.screenshot({ path: out });
  console.log(`wrote ${out} (run: ${summary})`);
} finally {
  await browser.close();
  await server.close();
}
