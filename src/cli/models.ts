/**
 * `npm run models -- inspect <source> [--json]` prints the manifest entries the product builds for a manifest, a
 * model folder (published layouts), a URL or a Hugging Face repo id (`org/name[@revision]`, fetched once into the
 * hub cache, src/host/hub.ts); `npm run models -- tokenize <source> --text "..." [--json]` prints the ids its
 * tokenizer gives. Both go through the engine in its Node worker, as `npm run graph` does. Exit codes: 0 ok, 2 bad
 * input (usage, a source that cannot be read or built; the message names the file and field).
 */
import { resolve } from 'node:path';
import { startNodeEngine } from '../host/node-client';
import { cliPolicy, userValues } from '../host/access';
import type { InspectedModel, InspectedSource } from '../engine/model-inspect';

export const MODELS_USAGE = [
  'usage: npm run models -- inspect <folder|manifest.json|url|org/name[@revision]> [--dtype fp32|fp16|q8] [--json]',
  '       npm run models -- tokenize <folder|manifest.json|url|org/name[@revision]> --text "..." [--model <id>]',
  '         [--dtype fp32|fp16|q8] [--json]',
  '       (both also take --models <dir>: the bundled models folder)',
].join('\n');

export class ModelsUsageError extends Error {}

export interface ModelsArgs {
  command: 'inspect' | 'tokenize';
  source: string;
  json: boolean;
  dtype?: string;
  text?: string;
  model?: string;
  models?: string;
}

export function parseModelsArgs(argv: string[]): ModelsArgs {
  const [command, ...rest] = argv;
  if (command !== 'inspect' && command !== 'tokenize')
    throw new ModelsUsageError(command ? `unknown command "${command}"` : 'no command given');
  const args: ModelsArgs = { command, source: '', json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const next = () => {
      const v = rest[++i];
      if (v === undefined) throw new ModelsUsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--dtype') args.dtype = next();
    else if (a === '--text') args.text = next();
    else if (a === '--model') args.model = next();
    else if (a === '--models') args.models = next();
    else if (a.startsWith('--')) throw new ModelsUsageError(`unknown option ${a}`);
    else if (!args.source) args.source = a;
    else throw new ModelsUsageError(`unexpected argument "${a}"`);
  }
  if (!args.source) throw new ModelsUsageError('no folder, manifest, URL or repo id given');
  if (command === 'tokenize' && args.text === undefined) throw new ModelsUsageError('tokenize needs --text "..."');
  if (command === 'inspect' && (args.text !== undefined || args.model !== undefined))
    throw new ModelsUsageError('--text and --model are for tokenize');
  return args;
}

const shapeText = (shape: Array<number | string>) => `[${shape.join(', ')}]`;

/** One model's lines for a person (the JSON has everything). */
function describeModel(m: InspectedModel): string[] {
  const lines = [`${m.id} (${m.kind})${m.title ? `: ${m.title}` : ''}`];
  lines.push(`  file ${m.file}, ${m.bytes} bytes, sha256 ${m.sha256}`);
  for (const p of m.inputs ?? [])
    lines.push(`  input  ${p.name} ${p.dtype} ${shapeText(p.shape)}${p.optional ? ' (optional)' : ''}`);
  for (const p of m.outputs ?? [])
    lines.push(`  output ${p.name} ${p.dtype} ${shapeText(p.shape)}${p.optional ? ' (optional)' : ''}`);
  if (m.tokenizer) lines.push(`  tokenizer ${JSON.stringify(m.tokenizer)}`);
  if (m.preprocessing) lines.push(`  preprocessing ${JSON.stringify(m.preprocessing)}`);
  if (m.scheduler) lines.push(`  scheduler ${JSON.stringify(m.scheduler)}`);
  return lines;
}

function describeSource(r: InspectedSource): string {
  const head = r.folder ? `${r.source}: a model folder, pair ${r.folder.pair}, dtype ${r.folder.dtype}` : r.source;
  return [head, ...r.models.flatMap(describeModel)].join('\n');
}

async function modelsMain(argv: string[]): Promise<number> {
  let args: ModelsArgs;
  try {
    args = parseModelsArgs(argv);
  } catch (e) {
    if (e instanceof ModelsUsageError) {
      console.error(`error: ${e.message}\n${MODELS_USAGE}`);
      return 2;
    }
    throw e;
  }
  const isUrl = /^https?:\/\//i.test(args.source);
  // the source is the user's own: its folder, its URL's files and its repo may be read (and nothing else)
  const local = isUrl ? [] : [resolve(args.source)];
  const engine = startNodeEngine({
    modelsDir: args.models,
    access: cliPolicy(undefined, local, isUrl, userValues([args.source])),
  });
  try {
    if (args.command === 'inspect') {
      const r = await engine.api.inspectModels(args.source, args.dtype);
      console.log(args.json ? JSON.stringify(r, null, 2) : describeSource(r));
    } else {
      const r = await engine.api.tokenize(args.source, args.text!, {
        ...(args.model ? { modelId: args.model } : {}),
        ...(args.dtype ? { dtype: args.dtype } : {}),
      });
      console.log(args.json ? JSON.stringify({ ids: r.ids }) : `${r.model}: ${r.ids.join(' ')}`);
    }
    return 0;
  } catch (e) {
    // what the source holds (or lacks) is the input: its problems are exit 2, as a bad graph is for npm run graph
    console.error(`error: ${(e as Error).message}`);
    return 2;
  } finally {
    await engine.terminate();
  }
}

modelsMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
