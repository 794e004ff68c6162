/** Writes training/world/world.json, the world's constants for the Python scripts: npx tsx src/world/spec-cli.ts */
import { writeFileSync } from 'node:fs';
import { worldSpec } from './spec';

const path = new URL('../../training/world/world.json', import.meta.url);
writeFileSync(path, JSON.stringify(worldSpec(), null, 2) + '\n');
console.log(`wrote ${path.pathname}`);
