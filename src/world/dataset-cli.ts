import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDataset } from './dataset';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    captions: { type: 'string', default: '4' },
    scale: { type: 'string', default: '1' },
  },
});
const count = Number(values.count),
  seed = Number(values.seed),
  perImage = Number(values.captions),
  scale = Number(values.scale);
if (!values.out) {
  console.error('usage: npm run dataset -- --count N --seed S --out <file> [--captions K] [--scale 4]');
  process.exit(2);
}
if (!Number.isInteger(count) || count < 1) {
  console.error(`--count must be a positive integer, got "${values.count}"`);
  process.exit(2);
}
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got "${values.seed}"`);
  process.exit(2);
}
if (!Number.isInteger(perImage) || perImage < 1) {
  console.error(`--captions must be a positive integer, got "${values.captions}"`);
  process.exit(2);
}
if (!Number.isInteger(scale) || scale < 1 || scale > 8) {
  console.error(`--scale must be an integer from 1 to 8 (4: 256x256 pictures), got "${values.scale}"`);
  process.exit(2);
}
const t0 = performance.now();
mkdirSync(dirname(values.out), { recursive: true });
writeDataset(values.out, { count, seed, captionsPerImage: perImage, scale });
console.log(
  `wrote ${count} ${64 * scale}x${64 * scale} images to ${values.out} in ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s (held-out pairs ` +
    `excluded)`,
);
