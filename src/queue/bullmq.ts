/**
 * Sweeps over a real job queue: BullMQ on Redis. The client adds one job per grid point with the
 * point's Merkle key as the job id (adding a job that exists is a no-op, so a sweep submitted
 * again runs nothing already done) and follows the jobs' states; workers on any machine run them.
 * A node's error fails its job once (UnrecoverableError); a crashed worker's job is re-delivered
 * when its lock expires (BullMQ's stalled-job check), other errors retry with backoff.
 */
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import type { EnginePool } from './local';
import { runPooled } from './local';
import type { JobImage, JobPayload } from './job';

export const QUEUE_NAME = 'unclip-studio-sweep';

export interface QueueResult {
  key: string;
  images: Array<{ name: string; png: string }>;
  ms: number;
  worker: string;
}

export class RedisUnreachable extends Error {}

/** Fails fast with a clear message when Redis cannot be reached at `url`. */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<void> {
  const client = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let cause = '';
  client.on('error', (e: NodeJS.ErrnoException) => {
    cause ||= e.code ?? e.message;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new RedisUnreachable(
      `cannot reach Redis at ${url} (${cause || (e as NodeJS.ErrnoException).code || (e as Error).message})`,
    );
  } finally {
    client.disconnect();
  }
}

/** A connection that rides out Redis restarts (BullMQ needs maxRetriesPerRequest: null). */
export function connect(url: string): IORedis {
  const c = new IORedis(url, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(200 * n, 2000) });
  c.on('error', () => undefined); // reconnects on its own; the follower reports the outage
  return c;
}

export interface Follow {
  onDone(key: string, r: { images?: JobImage[]; error?: string; ms: number; worker: string }): void;
  onWaiting?(message: string | null): void;
}

/**
 * Adds the jobs (skipping none: existing ids are no-ops; failed ones are retried) and waits until
 * each is completed or failed for good.
 */
export async function submitAndFollow(
  url: string,
  jobs: Array<{ key: string; payload: JobPayload }>,
  follow: Follow,
  pollMs = 250,
): Promise<void> {
  const connection = connect(url);
  // commands wait through an outage (ioredis queues them); say so while it lasts
  let lost = false;
  connection.on('reconnecting', () => {
    if (!lost) {
      lost = true;
      follow.onWaiting?.(`lost Redis at ${url}; waiting for it to come back`);
    }
  });
  connection.on('ready', () => {
    if (lost) {
      lost = false;
      follow.onWaiting?.(null);
    }
  });
  const queue = new Queue(QUEUE_NAME, { connection });
  try {
    for (let i = 0; i < jobs.length; i += 500) {
      const chunk = jobs.slice(i, i + 500);
      await queue.addBulk(
        chunk.map((j) => ({
          name: 'graph',
          data: j.payload,
          opts: {
            jobId: j.key,
            attempts: 3,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: { age: 7 * 24 * 3600 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        })),
      );
      for (const j of chunk)
        if ((await queue.getJobState(j.key)) === 'failed') await (await queue.getJob(j.key))?.retry('failed');
    }
    const pending = jobs.map((j) => j.key);
    let cursor = 0;
    while (pending.length) {
      try {
        const batch = pending.slice(cursor, cursor + 100);
        const states = await Promise.all(batch.map((k) => queue.getJobState(k)));
        const finished: string[] = [];
        for (let i = 0; i < batch.length; i++) {
          if (states[i] !== 'completed' && states[i] !== 'failed') continue;
          const job = (await queue.getJob(batch[i]!)) as Job<JobPayload, QueueResult> | undefined;
          if (!job) continue;
          if (states[i] === 'completed') {
            const r = job.returnvalue;
            follow.onDone(batch[i]!, {
              images: r.images.map((img) => ({ name: img.name, png: Buffer.from(img.png, 'base64') })),
              ms: r.ms,
              worker: r.worker,
            });
          } else {
            follow.onDone(batch[i]!, {
              error: job.failedReason,
              ms: 0,
              worker: (job.progress as { worker?: string })?.worker ?? 'unknown',
            });
          }
          finished.push(batch[i]!);
        }
        for (const k of finished) pending.splice(pending.indexOf(k), 1);
        cursor = pending.length ? (cursor + batch.length - finished.length) % pending.length : 0;
      } catch {
        // a command that failed in an outage: the next round asks again
      }
      if (pending.length) await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}

export interface QueueWorkerOptions {
  concurrency: number;
  /** How long a job's lock lives without renewal: a killed worker's job is re-delivered after it. */
  lockMs?: number;
  onEvent?(line: string): void;
}

/** A headless engine taking jobs until closed; `close()` finishes the jobs in hand first. */
export function startQueueWorker(
  url: string,
  pool: EnginePool,
  o: QueueWorkerOptions,
): { close(): Promise<void>; worker: Worker } {
  const id = `${hostname()}:${process.pid}`;
  const connection = connect(url);
  const worker = new Worker<JobPayload, QueueResult>(
    QUEUE_NAME,
    async (job) => {
      await job.updateProgress({ worker: id });
      const r = await runPooled(pool, job.data);
      if ('error' in r) throw new UnrecoverableError(r.error);
      if (r.key !== job.id) {
        throw new UnrecoverableError(
          `the job is named ${job.id} but its graph and params hash to ${r.key} here: the submitting machine and ` +
            `this worker differ in node versions or the payload was altered`,
        );
      }
      return {
        key: r.key,
        ms: Math.round(r.ms),
        worker: id,
        images: r.images.map((img) => ({ name: img.name, png: Buffer.from(img.png).toString('base64') })),
      };
    },
    {
      connection,
      concurrency: o.concurrency,
      lockDuration: o.lockMs ?? 30_000,
      stalledInterval: Math.min(o.lockMs ?? 30_000, 30_000),
      maxStalledCount: 3,
    },
  );
  worker.on('active', (job) => o.onEvent?.(`took ${job.id}`));
  worker.on('completed', (job) => o.onEvent?.(`done ${job.id} in ${job.returnvalue.ms} ms`));
  worker.on('failed', (job, err) => o.onEvent?.(`failed ${job?.id}: ${err.message}`));
  worker.on('error', () => undefined); // connection errors: ioredis reconnects
  return {
    worker,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}
