/**
 * The editor's sweeps: axes typed in the CLI's grid syntax (src/engine/grid.ts), checked as they are typed, run one
 * point after another on the tab's engine (each point's params set on the graph the engine holds, so what a point
 * does not change comes from the memo cache: a seed sweep encodes the prompt once), cancellable, saved as one grid
 * PNG carrying the graph and the sweep (src/engine/sweep-sheet.ts), and reopened from one.
 */
import { proxy } from 'comlink';
import type { ImagePreview, NodeEvent } from '../engine/events';
import { GridError, MAX_POINTS, parseGridAxis, type GridAxis, type GridPoint } from '../engine/grid';
import { applySets } from '../engine/overrides';
import { imageSinks, extractSweep, pointSets, sweepJobs, sweepSize, typedValue } from '../engine/sweep';
import { sweepSheetPng } from '../engine/sweep-sheet';
import type { GraphDocument } from '../graph/document';
import { formatIssue } from '../graph/errors';
import { extractGraph, isPng } from '../graph/png-graph';
import { serializeGraph } from '../graph/validate';
import { getEngine, openingSettled } from './engine-client';
import { fileSlug } from './file-names';
import { openGraphText } from './files';
import { recordRun } from './run-history';
import { selectCatalog, useEditor } from './store';
import {
  endSweepRun,
  newAxis,
  sweepRunning,
  useSweep,
  type AxisDraft,
  type SweepCell,
  type SweepRun,
} from './sweep-state';

/** Most points the editor sweeps: each cell keeps a 128-pixel picture (64 kB), as many as a CLI contact sheet. */
export const EDITOR_MAX_RUNS = 512;

/**
 * The axes of the drafts, checked against the graph shown: the grid syntax, the node and param named, each value
 * against its param's kind and range. Every problem is listed, each naming the node, param and value.
 */
export function checkAxes(
  drafts: readonly AxisDraft[],
  doc: GraphDocument,
  catalog = selectCatalog(useEditor.getState()),
): { axes: GridAxis[]; problems: string[]; runs: number } {
  const nodeTypes = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const axes: GridAxis[] = [];
  const problems: string[] = [];
  for (const d of drafts) {
    if (!d.target) {
      problems.push('an axis names no param: pick one');
      continue;
    }
    const spec = d.file ? `@${d.file.name}` : d.text;
    if (!d.file && spec.startsWith('@')) {
      problems.push(`${d.target}: ${spec}: pick the file with file… (a page reads only the files picked)`);
      continue;
    }
    let axis: GridAxis;
    try {
      axis = parseGridAxis(`${d.target}=${spec}`, (name) => {
        if (d.file && name === d.file.name) return d.file.text;
        throw Object.assign(new Error(`no file ${name}`), { code: 'ENOENT' });
      });
    } catch (e) {
      if (!(e instanceof GridError)) throw e;
      problems.push(e.message.replace(/^--grid /, ''));
      continue;
    }
    const bad = axis.values
      .map((v) => typedValue(catalog, nodeTypes, axis.nodeId, axis.param, v))
      .filter((r) => 'error' in r);
    if (bad.length) problems.push(`${bad[0]!.error}${bad.length > 1 ? ` (and ${bad.length - 1} more values)` : ''}`);
    else axes.push(axis);
  }
  // the grid's own rules (an axis twice, too many points) without expanding it on every keystroke
  const names = axes.map((a) => `${a.nodeId}.${a.param}`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) problems.push(`${twice} is given twice`);
  const runs = drafts.length ? sweepSize(axes) : 0;
  if (runs > EDITOR_MAX_RUNS)
    problems.push(
      `the grid has ${runs} points: the editor runs at most ${EDITOR_MAX_RUNS} ` +
        `(npm run graph -- sweep takes up to ${MAX_POINTS}, on many machines)`,
    );
  return { axes, problems, runs };
}

const setCell = (i: number, cell: Partial<SweepCell>) =>
  useSweep.setState((s) =>
    s.run ? { run: { ...s.run, cells: s.run.cells.map((c, k) => (k === i ? { ...c, ...cell } : c)) } } : {},
  );

/**
 * Runs every point of the axes on the graph shown, one after another, each on the graph as it was when the sweep
 * started. A problem found before the first run (a value out of range, no picture at the graph's end) is shown and
 * nothing runs.
 */
export async function runSweep(): Promise<void> {
  const { notify } = useEditor.getState();
  if (sweepRunning()) return;
  if (useEditor.getState().running) return notify('a run is in progress: cancel it or wait, then run the sweep');
  await openingSettled();
  const { doc } = useEditor.getState();
  const catalog = selectCatalog(useEditor.getState());
  const { axes, problems } = checkAxes(useSweep.getState().axes, doc, catalog);
  if (problems.length) return notify(`cannot sweep: ${problems[0]}`, 'error');
  if (!axes.length) return notify('add an axis first: a param and its values', 'error');
  const graph = serializeGraph(doc);
  const jobs = sweepJobs(graph, axes);
  const sinks = imageSinks(doc.nodes, catalog);
  if (!sinks.length) return notify('cannot sweep: no node at the end of the graph makes a picture', 'error');
  const engine = getEngine();
  const nodeTypes = new Map(doc.nodes.map((n) => [n.id, n.type]));
  useSweep.setState({
    run: {
      axes,
      graph,
      title: doc.meta?.title ?? '',
      cells: jobs.map((j) => ({ point: j.params, status: 'pending' })),
      running: true,
      cancelled: false,
    },
  });
  // a problem found before the first run: nothing ran, no grid
  const fail = (message: string) => {
    notify(`cannot sweep: ${message}`, 'error');
    useSweep.setState({ run: null });
  };
  try {
    const loaded = await engine.loadGraph(graph);
    if (!loaded.ok) return fail(loaded.issues.map(formatIssue).join('; '));
    // every value against its param's own schema on the engine, before anything runs
    for (const a of axes)
      for (const value of a.values) {
        const raw = `${a.nodeId}.${a.param}=${value}`;
        const problem = await applySets(engine, catalog, nodeTypes, [{ ...a, value, raw }], 'sweep');
        if (problem) return fail(problem.replace(/^sweep /, ''));
      }
    for (let i = 0; i < jobs.length; i++) {
      if (useSweep.getState().run?.cancelled) break;
      setCell(i, { status: 'running' });
      const t0 = performance.now();
      await engine.loadGraph(graph);
      const problem = await applySets(engine, catalog, nodeTypes, pointSets(jobs[i]!.params), 'sweep');
      if (problem) {
        setCell(i, { status: 'failed', error: problem });
        continue;
      }
      // a Cancel while the graph was loaded and the point's params set found no run to stop (the engine's cancel
      // reaches only a run in progress): seen here, before this point runs to its end
      if (useSweep.getState().run?.cancelled) {
        setCell(i, { status: 'cancelled' });
        break;
      }
      const onEvent = (e: NodeEvent) => {
        if (e.status === 'running' && e.steps) setCell(i, { step: `${e.nodeId} ${e.step ?? 0}/${e.steps}` });
      };
      const result = await engine.run(
        { targets: sinks.map((s) => s.nodeId), backend: useEditor.getState().backend },
        proxy(onEvent),
      );
      const with_ = (status: string) =>
        Object.entries(result.nodes)
          .filter(([, r]) => r.status === status)
          .map(([id]) => id);
      const counts = { ran: with_('done'), cached: with_('cached'), ms: performance.now() - t0, step: undefined };
      if (result.cancelled) {
        setCell(i, { status: 'cancelled', ...counts });
        break;
      }
      if (!result.ok) {
        const failed = Object.entries(result.nodes).find(([, r]) => r.status === 'error');
        setCell(i, {
          status: 'failed',
          ...counts,
          error: failed ? `node "${failed[0]}": ${failed[1].message}` : 'the run failed',
        });
        continue;
      }
      let thumb: ImagePreview | undefined;
      try {
        thumb = await engine.imagePreview(sinks[0]!.nodeId, sinks[0]!.ports[0]!, 0, 128);
      } catch {
        // an empty batch has no picture: the cell says done without one
      }
      setCell(i, { status: 'done', thumb, ...counts });
      // each point is a run of the History panel too, its graph with the point's params (read before the next run)
      await recordRun({ doc: docAt(doc, jobs[i]!.params, catalog), result });
    }
  } catch (e) {
    notify(`sweep failed: ${(e as Error).message}`, 'error');
  } finally {
    // what did not run (cancelled, or the sweep broke off) says so
    endSweepRun(['pending', 'running']);
  }
}

/** The graph with a point's params written into its nodes (each value as its param's type). */
function docAt(doc: GraphDocument, point: GridPoint, catalog: ReturnType<typeof selectCatalog>): GraphDocument {
  const nodeTypes = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const set = new Map<string, Record<string, string | number | boolean>>();
  for (const [name, raw] of Object.entries(point)) {
    const [nodeId, param] = name.split('.') as [string, string];
    const typed = typedValue(catalog, nodeTypes, nodeId, param, raw);
    if ('value' in typed) set.set(nodeId, { ...set.get(nodeId), [param]: typed.value });
  }
  return {
    ...doc,
    nodes: doc.nodes.map((n) => (set.has(n.id) ? { ...n, params: { ...n.params, ...set.get(n.id) } } : n)),
  };
}

/** Stops the sweep within the point running now (the engine's cancel); the points after it are marked cancelled. */
export async function cancelSweep(): Promise<void> {
  if (!sweepRunning()) return;
  useSweep.setState((s) => ({ run: s.run && { ...s.run, cancelled: true } }));
  await getEngine().cancel();
}

/** Puts a cell's params into the graph shown (one undoable edit): the next Run makes that cell's picture. */
export function loadCell(i: number): void {
  const editor = useEditor.getState();
  const cell = useSweep.getState().run?.cells[i];
  if (!cell) return;
  const catalog = selectCatalog(editor);
  const nodeTypes = new Map(editor.doc.nodes.map((n) => [n.id, n.type]));
  const values: Array<[string, string, string | number | boolean]> = [];
  for (const [name, raw] of Object.entries(cell.point)) {
    const [nodeId, param] = name.split('.') as [string, string];
    const typed = typedValue(catalog, nodeTypes, nodeId, param, raw);
    if ('error' in typed) return editor.notify(`cannot load this cell: ${typed.error}`, 'error');
    values.push([nodeId, param, typed.value]);
  }
  const label = Object.entries(cell.point)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  editor.change(`set sweep cell ${label}`, (d) => {
    for (const [nodeId, param, value] of values) {
      const node = d.nodes.find((n) => n.id === nodeId);
      if (node) node.params = { ...node.params, [param]: value };
    }
  });
  editor.notify(`loaded ${label} into the graph`);
}

/** The sweep's grid as PNG bytes (the cells so far), carrying the graph and the sweep. */
export function sweepPng(run: SweepRun): Uint8Array {
  return sweepSheetPng(
    run.axes,
    run.cells.map((c) => ({
      status: c.status === 'done' ? 'done' : c.status === 'failed' || c.status === 'cancelled' ? c.status : 'pending',
      tile: c.thumb && { width: c.thumb.width, height: c.thumb.height, data: c.thumb.rgba, channels: 4 },
    })),
    run.graph,
  );
}

/** Downloads the grid as `<title>-sweep.png`. */
export function saveSweepPng(): void {
  const run = useSweep.getState().run;
  if (!run) return;
  const blob = new Blob([sweepPng(run) as Uint8Array<ArrayBuffer>], { type: 'image/png' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${fileSlug(run.title) || 'graph'}-sweep.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** The drafts of axes a PNG carries (a value with a comma rides as a file of lines, as the CLI's @file would). */
export function draftsOf(axes: readonly GridAxis[]): AxisDraft[] {
  return axes.map((a) => {
    const target = `${a.nodeId}.${a.param}`;
    return a.values.some((v) => v.includes(','))
      ? newAxis(target, '', { name: `${target} values`, text: a.values.join('\n') })
      : newAxis(target, a.values.join(','));
  });
}

/** Opens a grid PNG: its graph replaces the one shown (validated like any file), its axes fill the panel. */
export async function openSweepFile(file: File): Promise<boolean> {
  const { notify } = useEditor.getState();
  const bytes = new Uint8Array(await file.arrayBuffer());
  let axes: GridAxis[] | null, graph: string | null;
  try {
    if (!isPng(bytes)) throw new Error('is not a PNG');
    axes = extractSweep(bytes);
    graph = extractGraph(bytes);
  } catch (e) {
    notify(`${file.name} ${(e as Error).message}`, 'error');
    return false;
  }
  if (!axes || !graph) {
    notify(`${file.name} carries no ${axes ? 'graph' : 'sweep'}`, 'error');
    return false;
  }
  if (!(await openGraphText(graph, `${file.name} (the graph in the grid)`))) return false;
  useSweep.setState({ open: true, axes: draftsOf(axes), run: null });
  return true;
}
