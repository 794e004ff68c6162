/** Running graphs from the research evals: the engine with the bundled models, outputs read by node id. */
import { encode as encodePng } from 'fast-png';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { CURRENT_VERSION, GRAPH_FORMAT } from '../src/graph/document';
import { nodeServices } from '../src/host/node-services';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { concatFloat32, float32, type Float32Tensor } from '../src/tensor/tensor';

export type GraphDoc = {
  nodes: Array<{ id: string; type: string; params?: Record<string, unknown>; inputs?: Record<string, string> }>;
};

/** A graph's nodes, by id. */
export const nodeOf = (doc: GraphDoc, id: string) => {
  const n = doc.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`the graph has no node "${id}"`);
  return n;
};

/** Runs `doc` to `node` and returns its output `port`, or throws naming the node that failed. */
export async function outputOf(engine: Engine, doc: GraphDoc, node: string, port: string): Promise<Float32Tensor> {
  engine.load(doc);
  const r = await engine.run({ targets: [node] });
  if (!r.ok) {
    const failed = Object.entries(r.nodes).find(([, v]) => v.status === 'error');
    throw new Error(`node "${failed?.[0]}" failed: ${failed?.[1].message}`);
  }
  return engine.outputsOf(node)![port] as Float32Tensor;
}

/** Runs `doc` to `target` and returns its image output (outputOf's port `image`). */
export const imageOf = (engine: Engine, doc: GraphDoc, target: string) => outputOf(engine, doc, target, 'image');

/** A picture [1, H, W, 3] in [0, 1] as a 16-bit PNG data URL (what io/load-image reads), for a graph's input. */
export function pictureUrl(img: Float32Array, h: number, w: number): string {
  const data = Uint16Array.from(img, (v) => Math.round(Math.min(1, Math.max(0, v)) * 65535));
  const png = encodePng({ width: w, height: h, data, channels: 3, depth: 16 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/**
 * 32x32 pictures to 64x64 by the upsampler node (7 DDIM steps, as the DALL·E example graph does): a small graph
 * a picture, the picture given as a 16-bit PNG.
 */
export async function upsampleAll(
  runtime: ModelRuntime,
  low: Float32Array,
  count: number,
  seed: number,
  steps = 7,
): Promise<Float32Tensor> {
  const doc: GraphDoc = {
    nodes: [
      { id: 'upsampler_model', type: 'diffusion/load-model', params: { model: 'mini-unclip-upsampler' } },
      { id: 'source', type: 'io/load-image', params: {} },
      { id: 'seed', type: 'value/seed', params: {} },
      {
        id: 'image',
        type: 'diffusion/upsample',
        params: { steps },
        inputs: { upsampler: 'upsampler_model.model', image: 'source.image', seed: 'seed.value' },
      },
    ],
  };
  const graph = { format: GRAPH_FORMAT, version: CURRENT_VERSION, ...doc };
  const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
  const px = 32 * 32 * 3;
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = Uint16Array.from(low.subarray(i * px, (i + 1) * px), (v) =>
      Math.round(Math.min(1, Math.max(0, v)) * 65535),
    );
    const png = encodePng({ width: 32, height: 32, data, channels: 3, depth: 16 });
    nodeOf(graph, 'source').params = { src: `data:image/png;base64,${Buffer.from(png).toString('base64')}` };
    nodeOf(graph, 'seed').params = { value: seed + i };
    out.push((await imageOf(engine, graph, 'image')).data);
  }
  return float32([count, 64, 64, 3], concatFloat32(out));
}
