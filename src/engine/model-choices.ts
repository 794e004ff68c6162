import type { InputSpec } from '../graph/catalog';
import { parsePortRef, type GraphNode } from '../graph/document';
import type { Manifest } from '../models/runtime/manifest';

/** A model a loader's id param may name, as its list shows it. */
export interface ModelChoice {
  /** The id the loader takes ("mini-clip" for the pair mini-clip-text + mini-clip-image). */
  id: string;
  /** The manifest's kind ("clip" for a CLIP pair). */
  kind: string;
  /** The manifest title's name ("mini-unCLIP upsampler") and its short description ("32x32 -> 64x64"). */
  title: string;
  description: string;
}

/** "mini-unCLIP upsampler (32x32 -> 64x64)" -> name and description (the kind when the title has none). */
function splitTitle(title: string, kind: string): { title: string; description: string } {
  const m = /^(.*?)\s*\((.*)\)\s*$/.exec(title);
  return m ? { title: m[1]!, description: m[2]! } : { title, description: kind };
}

/**
 * The models of a manifest that a loader param of these kinds can name (the param's `models`), in manifest order.
 * A CLIP pair is one choice named as Load CLIP takes it: its text encoder's id without "-text".
 */
export function modelChoices(manifest: Manifest, kinds: readonly string[]): ModelChoice[] {
  const out: ModelChoice[] = [];
  for (const e of manifest.models) {
    if (kinds.includes('clip') && e.kind === 'clip-text' && e.pair)
      out.push({
        id: e.id.replace(/-text$/, ''),
        kind: 'clip',
        ...splitTitle(e.title.replace(/ text encoder/, ''), 'clip'),
      });
    else if (kinds.includes(e.kind)) out.push({ id: e.id, kind: e.kind, ...splitTitle(e.title, e.kind) });
  }
  return out;
}

/**
 * A loader's list, split by what its output wires need: `fitting` holds the kinds the wired inputs take (an
 * upsampler's model: the upsamplers), `others` the rest. Nothing wired (or inputs that say no kind): all fit.
 */
export function rankModelChoices(
  choices: readonly ModelChoice[],
  wanted: readonly string[],
): { fitting: ModelChoice[]; others: ModelChoice[] } {
  if (!wanted.length) return { fitting: [...choices], others: [] };
  return {
    fitting: choices.filter((c) => wanted.includes(c.kind)),
    others: choices.filter((c) => !wanted.includes(c.kind)),
  };
}

/**
 * The model kinds the inputs wired to a loader's outputs take (their `models`), in the order they are found: a
 * loader wired to an Upsample node wants upsamplers.
 */
export function wantedKinds(
  nodes: readonly GraphNode[],
  catalog: ReadonlyMap<string, { inputs: Record<string, InputSpec> }>,
  loaderId: string,
): string[] {
  const kinds: string[] = [];
  for (const n of nodes)
    for (const [port, ref] of Object.entries(n.inputs ?? {})) {
      if (parsePortRef(ref)?.nodeId !== loaderId) continue;
      const spec = catalog.get(n.type)?.inputs[port];
      for (const k of spec?.models ?? []) if (!kinds.includes(k)) kinds.push(k);
    }
  return kinds;
}
