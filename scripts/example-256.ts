/**
 * Renders the 256x256 example pictures (public/examples/*-256.png) that the editing graphs start from: the scenes
 * of the 64x64 examples (fitted to them to a twentieth of a pixel), drawn by ShapesWorld's renderer at scale 4.
 * Run: npx tsx scripts/example-256.ts
 */
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { renderScene } from '../src/world/render';
import type { Scene } from '../src/world/scene';

const EXAMPLES: Record<string, Scene> = {
  'red-circle': {
    background: 'white',
    objects: [{ shape: 'circle', colour: 'red', size: 'large', position: 'center', cx: 32.005, cy: 34.38, s: 14.58 }],
  },
};

for (const [name, scene] of Object.entries(EXAMPLES)) {
  const path = new URL(`../public/examples/${name}-256.png`, import.meta.url).pathname;
  writeFileSync(path, encode({ width: 256, height: 256, data: renderScene(scene, undefined, 4), channels: 3 }));
  console.log(`wrote ${path}`);
}
