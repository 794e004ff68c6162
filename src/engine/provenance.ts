/**
 * A picture's provenance (src/graph/provenance.ts) from the engine's last run: the models of the loader
 * nodes upstream of the picture, the onnxruntime build, the backends those models ran on, the product's version.
 *
 * Upstream, not every loader of the graph: a graph often loads models for other outputs (CLIP for a ranking
 * beside the picture), and a model that cannot change the picture must not make two recipes differ.
 */
import { version as productVersion } from '../../package.json';
import type { GraphDocument } from '../graph/document';
import { parsePortRef } from '../graph/document';
import { PROVENANCE_FORMAT, PROVENANCE_VERSION, type ExecutionBackend, type Provenance } from '../graph/provenance';
import type { ProvenanceModel } from '../graph/provenance';
import { flattenGraph } from '../graph/subgraph';
import type { ModelRuntime } from '../models/runtime/runtime';

export const PRODUCT_VERSION: string = productVersion;

/** The flat ids of a node and every node it reads from, directly or not. */
export function upstreamOf(doc: Pick<GraphDocument, 'nodes' | 'subgraphs'>, nodeId: string): Set<string> {
  const byId = new Map(flattenGraph(doc).nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const stack = [nodeId];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const ref of Object.values(byId.get(id)?.inputs ?? {})) {
      const from = parsePortRef(ref)?.nodeId;
      if (from && !seen.has(from)) stack.push(from);
    }
  }
  return seen;
}

/** A model reference as loader nodes output it: an id and kind, maybe a manifest, and the entry ids it opened. */
export function isModelRef(v: unknown): v is Record<string, unknown> & { id: string; kind: string } {
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' && 'kind' in v;
}

/**
 * The manifest entries a model reference names: any string field that is a model id of its manifest (a CLIP pair
 * names `text` and `image`, DALL·E's dVAE its `encoder` and `decoder`).
 */
export function modelsOfRef(models: ModelRuntime, ref: Record<string, unknown>): ProvenanceModel[] {
  const source = typeof ref.manifest === 'string' ? ref.manifest : '';
  const found: ProvenanceModel[] = [];
  for (const [field, value] of Object.entries(ref)) {
    if (field === 'manifest' || field === 'kind' || typeof value !== 'string') continue;
    const use = models.modelUse(value, source);
    if (!use) continue;
    found.push({
      id: use.entry.id,
      sha256: use.entry.sha256,
      bytes: use.entry.bytes,
      source,
      ...(use.entry.externalData?.length ? { externalData: use.entry.externalData } : {}),
      ...(use.ep ? { backend: use.ep as ExecutionBackend } : {}),
    });
  }
  return found;
}

/** The provenance of one picture (node, port, index) from the outputs of the latest run. */
export function pictureProvenance(
  doc: GraphDocument,
  outputsOf: (nodeId: string) => Record<string, unknown> | undefined,
  models: ModelRuntime | undefined,
  picture: { node: string; port: string; index: number },
): Provenance {
  const used = new Map<string, ProvenanceModel>();
  if (models)
    for (const id of upstreamOf(doc, picture.node))
      for (const value of Object.values(outputsOf(id) ?? {}))
        if (isModelRef(value)) for (const m of modelsOfRef(models, value)) used.set(`${m.source}\n${m.id}`, m);
  const list = [...used.values()];
  return {
    format: PROVENANCE_FORMAT,
    version: PROVENANCE_VERSION,
    product: { name: 'unclip-studio', version: PRODUCT_VERSION },
    runtime: models ? models.runtimeName() : null,
    backends: [...new Set(list.flatMap((m) => (m.backend ? [m.backend] : [])))].sort(),
    models: list,
    picture,
  };
}
