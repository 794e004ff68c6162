/**
 * The editor fuzz in full, outside CI: hostile graph documents (test/helpers/hostile-graphs.ts, the parser fuzz's
 * generator) through each of the editor's entry points in Chromium (a paste, a dropped file, a share link, a PNG),
 * 10,000 each by default; CI runs a few hundred (test/e2e/hostile.test.ts). After each refused document the graph
 * open must be unchanged, a taken one is undone, and no uncaught error may happen.
 *
 *   npm run build && npx tsx scripts/fuzz-editor.ts [--count N] [--entry paste,drop,link,png] [--seed S]
 *
 * Serves dist/ like the end-to-end tests; exits 1 naming what failed.
 */
import { ENTRY_POINTS, fuzzEntryPoint, type EntryPoint } from '../test/helpers/editor-fuzz';
import { hostileTexts } from '../test/helpers/hostile-graphs';
import { launchBrowser, openEditorPage, startServer } from '../test/e2e/harness';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const count = Number(flag('count', '10000'));
const seed = Number(flag('seed', '20261126'));
const entries = flag('entry', ENTRY_POINTS.join(',')).split(',') as EntryPoint[];
const batch = 500; // one page per batch: a fresh editor, and a page.evaluate of bounded size

const server = await startServer();
const browser = await launchBrowser();
let failed = 0;
try {
  const texts = hostileTexts(count, seed);
  for (const entry of entries) {
    const totals = { refused: 0, accepted: 0, slowestMs: 0, ms: 0 };
    for (let from = 0; from < texts.length; from += batch) {
      const page = await openEditorPage(browser, server.url);
      // tsx names functions with a helper of its own, which the page lacks, in the function sent to the page
      await page.evaluate('globalThis.__name = (f) => f');
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const r = await fuzzEntryPoint(page, entry, texts.slice(from, from + batch));
      for (const f of [...r.failures, ...errors.map((e) => `uncaught: ${e}`)]) {
        failed++;
        console.error(`${entry}, batch from ${from}: ${f}`);
      }
      totals.refused += r.refused;
      totals.accepted += r.accepted;
      totals.slowestMs = Math.max(totals.slowestMs, r.slowestMs);
      totals.ms += r.totalMs;
      await page.context().close();
    }
    console.log(
      `${entry}: ${texts.length} documents, ${totals.refused} refused, ${totals.accepted} taken and undone, ` +
        `${(totals.ms / 1000).toFixed(1)} s, slowest ${totals.slowestMs.toFixed(0)} ms`,
    );
  }
  if (server.cspReports.length) {
    failed += server.cspReports.length;
    console.error(`Content Security Policy violations:\n${server.cspReports.join('\n')}`);
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
