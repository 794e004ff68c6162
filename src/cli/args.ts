import { parseSet, type ParamSet } from '../engine/overrides';
import { chooseDevice, parseDevice, type Device } from '../models/runtime/device-node';

/** Parsed `graph run` arguments. */
export interface RunArgs {
  file: string;
  sets: ParamSet[];
  out?: string;
  json: boolean;
  models?: string;
  targets?: string[];
  /** Folders a graph may read besides its own and the bundled models (--allow-path). */
  allowPaths: string[];
  /** Whether a graph's http(s) URLs may be fetched (--allow-url). */
  allowUrl: boolean;
  /** Whether a graph's Hugging Face repo ids may be fetched into the hub cache (--allow-hub). */
  allowHub: boolean;
  /** Compare the picture a PNG names (its provenance) with the one this run makes (--compare). */
  compare: boolean;
  /** Models on native onnxruntime-node (CPU) instead of onnxruntime-web's WASM (--native). */
  native: boolean;
  /** Run with the models here even where they differ from the graph's model lock (--unlock). */
  unlock: boolean;
  /** Where the models run: cpu, or cuda (onnxruntime-node's CUDA provider; the CPU where it cannot be had). */
  device?: Device;
}

export class UsageError extends Error {}

/**
 * The device the models get for a --device asked for (undefined: none asked, the default runtime), the note
 * printed when cuda cannot be had here (the run goes on, on the CPU).
 */
export function headlessDevice(asked: Device | undefined, say = (line: string) => console.error(line)) {
  if (!asked) return undefined;
  const { device, note } = chooseDevice(asked);
  if (note) say(`note: ${note}`);
  return device;
}

/** A --device value, or a UsageError naming the choices. */
export function deviceArg(value: string): Device {
  try {
    return parseDevice(value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const USAGE = [
  'usage: npm run graph -- run <graph.json> [--set <nodeId>.<param>=<value>]... [--out <dir>] [--json]',
  '         [--only <nodeId>]... [--models <dir>] [--allow-path <dir>]... [--allow-url] [--allow-hub] [--native]',
  '         [--unlock] [--device cpu|cuda]',
  '       npm run graph -- run <picture.png> [...] [--compare]',
  '       npm run graph -- sweep <graph.json> --grid <nodeId>.<param>=<values> [--grid ...] --out <dir>',
  '         [--queue <redis-url>] [--concurrency <n>] [--json]',
  '       npm run graph -- diff <a.png|a.json> <b.png|b.json> [--json]',
  '       npm run graph -- lock <graph.json>... [--models <dir>] [--allow-path <dir>]...',
].join('\n');

export function parseRunArgs(argv: string[]): RunArgs {
  const [command, ...rest] = argv;
  if (command !== 'run') throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
  const args: RunArgs = {
    file: '',
    sets: [],
    json: false,
    allowPaths: [],
    allowUrl: false,
    allowHub: false,
    compare: false,
    native: false,
    unlock: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const next = () => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--out') args.out = next();
    else if (a === '--models') args.models = next();
    else if (a === '--only') (args.targets ??= []).push(next());
    else if (a === '--allow-path') args.allowPaths.push(next());
    else if (a === '--allow-url') args.allowUrl = true;
    else if (a === '--allow-hub') args.allowHub = true;
    else if (a === '--compare') args.compare = true;
    else if (a === '--native') args.native = true;
    else if (a === '--unlock') args.unlock = true;
    else if (a === '--device') args.device = deviceArg(next());
    else if (a === '--set' || a.startsWith('--set=')) {
      const raw = a === '--set' ? next() : a.slice(6);
      const set = parseSet(raw);
      if (!set) throw new UsageError(`--set "${raw}" is not <nodeId>.<param>=<value>`);
      args.sets.push(set);
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else if (!args.file) args.file = a;
    else throw new UsageError(`unexpected argument "${a}"`);
  }
  if (!args.file) throw new UsageError('no graph file given');
  return args;
}
