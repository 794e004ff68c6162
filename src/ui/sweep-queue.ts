/**
 * A sweep of the Sweep panel sent to the BullMQ queue through the server the editor uses (`npm run serve -- --queue
 * redis://…`, POST /api/sweeps): the same axes and cells as a sweep on the tab's engine, filled in as the queue's
 * workers finish points; each picture fetched with the token's header. Cancel stops following (the queued jobs
 * run to their end on the workers: the queue keeps them).
 */
import { decode } from 'fast-png';
import type { ImagePreview } from '../engine/events';
import { sweepJobs } from '../engine/sweep';
import { serializeGraph } from '../graph/validate';
import { currentServerAccess, openingSettled } from './engine-client';
import { serverFetch } from './server-engine';
import { checkAxes } from './sweep-run';
import { endSweepRun, sweepRunning, useSweep, type SweepCell } from './sweep-state';
import { useEditor } from './store';

interface QueuedJob {
  params: Record<string, string>;
  status: 'queued' | 'done' | 'failed';
  error?: string;
  ms?: number;
  images?: string[];
}

/** Whether the server the editor uses has a queue (null: no server chosen, or it does not answer). */
export async function serverQueue(): Promise<boolean> {
  const s = currentServerAccess();
  if (!s) return false;
  try {
    const res = await serverFetch(s.url, s.token, '/api/info');
    return res.ok && ((await res.json()) as { queue?: boolean }).queue === true;
  } catch {
    return false;
  }
}

/** A PNG's pixels as a preview (the cell's thumb). */
function previewOf(png: Uint8Array): ImagePreview {
  const img = decode(png);
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  const c = img.channels;
  for (let i = 0; i < img.width * img.height; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = Number(img.data[i * c + (c < 3 ? 0 : k)]);
    rgba[i * 4 + 3] = c === 4 || c === 2 ? Number(img.data[i * c + c - 1]) : 255;
  }
  return { width: img.width, height: img.height, rgba };
}

export async function queueSweepOnServer(pollMs = 500): Promise<void> {
  const { notify } = useEditor.getState();
  const server = currentServerAccess();
  if (!server) return notify('choose Engine: a server first (one started with --queue)', 'error');
  if (sweepRunning()) return;
  await openingSettled();
  const { doc } = useEditor.getState();
  const { axes, problems } = checkAxes(useSweep.getState().axes, doc);
  if (problems.length) return notify(`cannot sweep: ${problems[0]}`, 'error');
  if (!axes.length) return notify('add an axis first: a param and its values', 'error');
  // the values themselves (a picked file's lines too): the server reads no file
  const withComma = axes.find((a) => a.values.some((v) => v.includes(',')));
  if (withComma)
    return notify(`cannot queue: a value of ${withComma.nodeId}.${withComma.param} has a comma (run it here)`, 'error');
  const graph = serializeGraph(doc);
  const grid = axes.map((a) => `${a.nodeId}.${a.param}=${a.values.join(',')}`);
  const jobs = sweepJobs(graph, axes);
  const res = await serverFetch(server.url, server.token, '/api/sweeps', {
    method: 'POST',
    body: JSON.stringify({ graph: JSON.parse(graph) as unknown, grid }),
    headers: { 'Content-Type': 'application/json' },
  }).catch((e: unknown) => new Error(`cannot reach the server at ${server.url}: ${(e as Error).message}`));
  if (res instanceof Error) return notify(res.message, 'error');
  const body = (await res.json().catch(() => ({}))) as { id?: string; error?: string };
  if (!res.ok || !body.id)
    return notify(`the server refused the sweep: ${body.error ?? `HTTP ${res.status}`}`, 'error');
  const cellOf = new Map(jobs.map((j, i) => [JSON.stringify(j.params), i]));
  useSweep.setState({
    run: {
      axes,
      graph,
      title: doc.meta?.title ?? '',
      cells: jobs.map((j) => ({ point: j.params, status: 'running', step: 'queued' })),
      running: true,
      cancelled: false,
    },
  });
  const shown = new Set<number>();
  try {
    for (;;) {
      if (useSweep.getState().run?.cancelled) break;
      const got = await serverFetch(server.url, server.token, `/api/sweeps/${body.id}`);
      if (!got.ok) throw new Error(`the server lost the sweep (HTTP ${got.status})`);
      const state = (await got.json()) as { jobs: QueuedJob[]; error?: string };
      if (state.error) throw new Error(state.error);
      for (const j of state.jobs) {
        const i = cellOf.get(JSON.stringify(j.params));
        if (i === undefined || shown.has(i) || j.status === 'queued') continue;
        shown.add(i);
        let cell: Partial<SweepCell> = { status: j.status, ms: j.ms, error: j.error, step: undefined };
        if (j.images?.[0]) {
          const png = await serverFetch(server.url, server.token, j.images[0]);
          if (png.ok) cell = { ...cell, thumb: previewOf(new Uint8Array(await png.arrayBuffer())) };
        }
        useSweep.setState((s) =>
          s.run ? { run: { ...s.run, cells: s.run.cells.map((c, k) => (k === i ? { ...c, ...cell } : c)) } } : {},
        );
      }
      if (state.jobs.every((j) => j.status !== 'queued')) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (e) {
    notify(`queued sweep: ${(e as Error).message}`, 'error');
  } finally {
    endSweepRun(['running'], 'left on the queue');
  }
}
