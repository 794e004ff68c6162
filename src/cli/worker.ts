/**
 * `npm run worker -- --queue <redis-url> [--concurrency <n>] [--models <dir>]`: a headless engine
 * that takes sweep jobs from BullMQ until stopped. SIGTERM (or Ctrl-C) finishes the jobs in hand,
 * then exits.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probeRedis, RedisUnreachable, startQueueWorker } from '../queue/bullmq';
import { EnginePool } from '../queue/local';
import { deviceArg, headlessDevice } from './args';
import type { Device } from '../models/runtime/device-node';

const USAGE =
  'usage: npm run worker -- --queue <redis-url> [--concurrency <n>] [--models <dir>] [--allow-path <dir>]... ' +
  '[--allow-url] [--allow-hub] [--device cpu|cuda]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        queue: { type: 'string' },
        concurrency: { type: 'string', default: '1' },
        models: { type: 'string' },
        'allow-path': { type: 'string', multiple: true },
        'allow-url': { type: 'boolean' },
        'allow-hub': { type: 'boolean' },
        'lock-ms': { type: 'string', default: '30000' },
        device: { type: 'string' },
      },
    }));
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const concurrency = Number(values.concurrency),
    lockMs = Number(values['lock-ms']);
  if (!values.queue || !/^rediss?:\/\//.test(values.queue)) {
    console.error(`error: --queue needs a redis:// URL\n${USAGE}`);
    return 2;
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    console.error(`error: --concurrency must be an integer from 1 to 64, got "${values.concurrency}"`);
    return 2;
  }
  if (!Number.isInteger(lockMs) || lockMs < 1000) {
    console.error(`error: --lock-ms must be an integer >= 1000, got "${values['lock-ms']}"`);
    return 2;
  }
  try {
    await probeRedis(values.queue);
  } catch (e) {
    if (e instanceof RedisUnreachable) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  // a job's graph comes from whoever can write to the queue: it reads only the bundled models and
  // what this worker's own flags allow, never what the job says
  let device: Device | undefined;
  try {
    device = headlessDevice(values.device === undefined ? undefined : deviceArg(values.device));
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const pool = new EnginePool({
    modelsDir: values.models,
    device,
    access: {
      allowPaths: (values['allow-path'] ?? []).map((p) => resolve(p)),
      allowUrls: values['allow-url'] ?? false,
      allowHub: values['allow-hub'] ?? false,
    },
  });
  await pool.catalog(); // start one engine before taking jobs
  const w = startQueueWorker(values.queue, pool, { concurrency, lockMs, onEvent: (line) => console.error(line) });
  console.error(`worker ${process.pid}: taking jobs from ${values.queue} (concurrency ${concurrency})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.error(`worker ${process.pid}: ${signal}: finishing the jobs in hand`);
      void w.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await pool.close();
  console.error(`worker ${process.pid}: stopped`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
