/** `npm run bench`: every benchmark, each printing ratios measured side by side in one run. */
import { benchEngine } from './engine';
import { benchEditor } from './editor';
import { benchUnclip } from './unclip';
import { benchSweep } from './sweep';
import { benchGuide } from './guide';
import { benchDalle } from './dalle';
import { benchEdits } from './edits';
import { benchModels } from './models';
import { benchServer } from './server';
import { benchStart } from './start';

const only = process.argv[2];
const suites: Record<string, () => Promise<void>> = {
  engine: benchEngine,
  editor: benchEditor,
  unclip: benchUnclip,
  sweep: benchSweep,
  guide: benchGuide,
  dalle: benchDalle,
  edits: benchEdits,
  models: benchModels,
  server: benchServer,
  start: benchStart,
};
for (const [name, fn] of Object.entries(suites)) {
  if (only && only !== name) continue;
  await fn();
}
