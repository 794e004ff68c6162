import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { extractText } from '../../src/graph/png-graph';
import { THUMB_KEYWORD, THUMB_SCRIPT, THUMB_SIZE, thumbPath, type ThumbRecord } from '../../src/ui/example-thumbs';

const ROOT = new URL('../..', import.meta.url).pathname;
// the examples as the editor lists them (src/ui/files.ts): graphs/*.json and graphs/study/*.json
const examples = ['', 'study/'].flatMap((sub) =>
  readdirSync(join(ROOT, 'graphs', sub))
    .filter((f) => f.endsWith('.json'))
    .map((f) => sub + f.replace(/\.json$/, '')),
);
const thumbFile = (name: string) => join(ROOT, 'public', thumbPath(name));

describe("the Examples menu's thumbnails", () => {
  it.each(examples)('%s has a thumbnail drawn from the graph as it is now', (name) => {
    const file = thumbFile(name);
    expect(existsSync(file), `public/${thumbPath(name)} is missing: run ${THUMB_SCRIPT} ${name}`).toBe(true);
    const png = new Uint8Array(readFileSync(file));
    const text = extractText(png, THUMB_KEYWORD, 64 * 1024, 'thumbnail record');
    expect(text, `public/${thumbPath(name)} records no graph: run ${THUMB_SCRIPT} ${name}`).not.toBeNull();
    const record = JSON.parse(text!) as ThumbRecord;
    const sha = createHash('sha256')
      .update(readFileSync(join(ROOT, 'graphs', `${name}.json`)))
      .digest('hex');
    expect(
      record.graphSha256,
      `graphs/${name}.json changed since its thumbnail was drawn: run ${THUMB_SCRIPT} (it draws the ones out of date)`,
    ).toBe(sha);
    const { width, height } = decode(png);
    expect([width, height]).toEqual([THUMB_SIZE, THUMB_SIZE]);
    expect(record.pictures.length).toBeGreaterThan(0);
  });

  it('are small: well under 200 KB together, none left over from an example that is gone', () => {
    const dir = join(ROOT, 'public', 'examples', 'thumbs');
    const files = ['', 'study/'].flatMap((sub) =>
      readdirSync(join(dir, sub))
        .filter((f) => f.endsWith('.png'))
        .map((f) => sub + f.replace(/\.png$/, '')),
    );
    expect(files.sort()).toEqual([...examples].sort());
    const bytes = files.reduce((a, f) => a + statSync(thumbFile(f)).size, 0);
    expect(bytes).toBeLessThan(100 * 1024);
  });
});
