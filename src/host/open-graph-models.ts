/**
 * The start-up (issue 41): a graph's models fetched, checked and opened before its first Run. The engine worker does
 * it for the editor's default graph as soon as it starts, while the page is still opening: the first Run finds the
 * sessions ready (the runtime keeps one per model) instead of downloading, hashing and creating five of them in turn.
 */
import { Engine, type NodeRegistry } from '../engine/scheduler';
import type { RunResult } from '../engine/events';
import type { EngineServices } from '../node-api/services';

/**
 * Runs a graph's loader nodes on an engine of their own (their outputs are not kept: the sessions they open are,
 * in the model runtime both engines share). What a loader refuses (a missing model, a bad sha256) is in the result,
 * and said again by the Run that needs it.
 */
export async function openGraphModels(
  registry: NodeRegistry,
  services: EngineServices,
  graph: string | unknown,
): Promise<RunResult> {
  const engine = new Engine(registry, services);
  engine.load(graph);
  return engine.run({ targets: engine.loaderIds() });
}
