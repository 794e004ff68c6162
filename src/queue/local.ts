/** Sweeps on this machine: a pool of engines in worker_threads, `concurrency` jobs at a time. */
import { hostname } from 'node:os';
import { startNodeEngine, type Device, type NodeEngine } from '../host/node-client';
import type { AccessPolicy } from '../host/access';
import type { NodeInfo } from '../engine/api';
import { JobFailure, runJob, type JobImage, type JobPayload } from './job';

export interface JobDone {
  index: number;
  key: string;
  ms: number;
  worker: string;
  images?: JobImage[];
  error?: string;
}

/** Engines started on demand and reused across jobs (their caches carry over: a seed sweep re-encodes no prompt). */
export class EnginePool {
  private readonly idle: NodeEngine[] = [];
  private readonly all: NodeEngine[] = [];
  private catalogCache?: Promise<Map<string, NodeInfo>>;

  constructor(private readonly options: { modelsDir?: string; access?: AccessPolicy; device?: Device } = {}) {}

  catalog(): Promise<Map<string, NodeInfo>> {
    return (this.catalogCache ??= this.withEngine(
      async (e) => new Map((await e.api.catalog()).map((n) => [n.type, n])),
    ));
  }

  /** Lends an engine; one whose call failed other than by a JobFailure (it crashed) is replaced. */
  async withEngine<T>(fn: (engine: NodeEngine) => Promise<T>): Promise<T> {
    const engine = this.idle.pop() ?? this.start();
    let healthy = true;
    try {
      return await fn(engine);
    } catch (e) {
      healthy = e instanceof JobFailure;
      throw e;
    } finally {
      if (healthy) this.idle.push(engine);
      else {
        this.all.splice(this.all.indexOf(engine), 1);
        void engine.terminate();
      }
    }
  }

  private start(): NodeEngine {
    const e = startNodeEngine({
      modelsDir: this.options.modelsDir,
      access: this.options.access ?? { allowPaths: [], allowUrls: false },
      ...(this.options.device ? { native: true, device: this.options.device } : {}),
    });
    this.all.push(e);
    return e;
  }

  /** Terminates every engine; closing again is a no-op. */
  async close(): Promise<void> {
    const engines = this.all.splice(0);
    this.idle.length = 0;
    await Promise.all(engines.map((e) => e.terminate()));
  }
}

/** Runs one payload on a pooled engine; a JobFailure is the job's result, anything else propagates. */
export async function runPooled(
  pool: EnginePool,
  payload: JobPayload,
): Promise<{ key: string; images: JobImage[]; ms: number } | { key?: string; error: string; ms: number }> {
  const catalog = await pool.catalog();
  const t0 = performance.now();
  return pool.withEngine(async (engine) => {
    try {
      const out = await runJob(engine.api, catalog, payload);
      return { key: out.key, images: out.images, ms: out.ms };
    } catch (e) {
      if (e instanceof JobFailure || (e as Error).name === 'JobFailure')
        return { error: (e as Error).message, ms: performance.now() - t0 };
      throw e;
    }
  });
}

/** Runs the jobs `concurrency` at a time; `onDone` is called as each finishes. */
export async function runLocal(
  jobs: Array<{ key: string; payload: JobPayload }>,
  concurrency: number,
  pool: EnginePool,
  onDone: (d: JobDone) => void,
): Promise<void> {
  let next = 0;
  const worker = `${hostname()}:${process.pid}`;
  const lane = async (lane: number) => {
    for (;;) {
      const index = next++;
      if (index >= jobs.length) return;
      const job = jobs[index]!;
      const r = await runPooled(pool, job.payload);
      onDone({
        index,
        key: job.key,
        ms: r.ms,
        worker: `${worker}/${lane}`,
        ...('images' in r ? { images: r.images } : { error: r.error }),
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, (_, i) => lane(i)));
}
