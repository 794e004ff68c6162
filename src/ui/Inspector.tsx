import { useEffect, useState } from 'react';
import type { ImagePreview } from '../engine/events';
import type { CodesView, EmbeddingView, OutputSummary } from '../engine/preview';
import { getEngine } from './engine-client';
import { CodesPanel } from './codes-view';
import { Bars, Curve, EmbeddingPanel, Matrix, Stats } from './inspector-views';
import { PreviewCanvas } from './PreviewCanvas';
import { MaskPainter } from './mask-painter';
import { nodeById, selectCatalog, selectScope, useEditor } from './store';
import { flatId } from './scope';
import { subgraphName } from '../graph/subgraph';
import { SubgraphActions, GroupActions, ExposeParams } from './subgraph-panel';
import { parsePortRef } from '../graph/document';
import { imageFileName } from './file-names';
import { SweepThis } from './SweepPanel';

/** Downloads the first picture of an output as a PNG at its true size, named from the graph's title and the node. */
async function saveImage(nodeId: string, port: string, firstPort: string | undefined): Promise<void> {
  const png = await getEngine().imagePng(nodeId, port, 0);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }));
  a.download = imageFileName(useEditor.getState().doc.meta?.title, nodeId, port, firstPort);
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

interface PortView {
  summary: OutputSummary;
  images?: ImagePreview[];
  embedding?: EmbeddingView;
  /** Row names (the texts that made the embeddings). */
  names?: string[];
  /** A mask drawn over its picture (magenta where it regenerates). */
  overlay?: boolean;
}

/** Outputs of the selected node: images at true pixels, embeddings, matrices, scores, text. */
/** The zoom at which a picture `width` pixels wide fits the panel: 64x64 at 3x, 32x32 at 6x, 256x256 at 1x. */
export const fitZoom = (width: number) => Math.min(8, Math.max(1, Math.floor(200 / width)));

export function Inspector() {
  const selection = useEditor((s) => s.selection);
  const runCounter = useEditor((s) => s.runCounter);
  const id = selection.length === 1 ? selection[0]! : null;
  const node = useEditor((s) => (id ? nodeById(selectScope(s), id) : undefined));
  const info = useEditor((s) => (node ? selectCatalog(s).get(node.type) : undefined));
  const view = useEditor((s) => s.view);
  // the engine's id: inside a subgraph, "<instance>/<id>"
  const fid = id ? flatId(view, id) : null;
  const runState = useEditor((s) => (fid ? s.run[fid] : undefined));
  // results belong to the graph on screen: a node that has not run since it was opened (New, Open, an example)
  // has none, even where the graph before had a node of the same id
  const ran = runState !== undefined;
  const [ports, setPorts] = useState<PortView[]>([]);
  // null: each picture at the zoom that fits the panel (64x64 at 3x, 256x256 at true pixels) until one is chosen
  const [zoomChoice, setZoom] = useState<number | null>(null);
  const onZoom = (e: React.ChangeEvent<HTMLInputElement>) => setZoom(Number(e.target.value));
  useEffect(() => {
    let stale = false;
    if (!fid || !info || !ran) {
      setPorts([]);
      void getEngine()
        .pinInspected(null)
        .catch(() => false);
      return;
    }
    void (async () => {
      const engine = getEngine();
      // what is on screen stays in the worker's cache until another node is inspected
      await engine.pinInspected(fid).catch(() => false);
      const summaries = await engine.summaries(fid).catch(() => []);
      // names for embedding rows: the texts on the node's wired Text input, when there is one per row
      let names: string[] | undefined;
      const textInput = Object.entries(info.inputs).find(
        ([name, spec]) => spec.type === 'Text' && node?.inputs?.[name],
      );
      const textRef = textInput ? node!.inputs![textInput[0]]! : '';
      if (textInput && !textRef.startsWith('$in.')) {
        const { nodeId: src, port: srcPort } = parsePortRef(textRef)!;
        const up = (await engine.summaries(flatId(view, src)).catch(() => [])).find((u) => u.port === srcPort);
        if (up?.kind === 'text') names = up.value as string[];
      }
      const wiredImage = (): [string, string] | undefined => {
        const input = Object.entries(info.inputs).find(([name, spec]) => spec.type === 'Image' && node?.inputs?.[name]);
        const ref = input ? node!.inputs![input[0]]! : '';
        if (!input || ref.startsWith('$in.')) return undefined;
        const { nodeId: src, port: srcPort } = parsePortRef(ref)!;
        return [flatId(view, src), srcPort];
      };
      const views: PortView[] = [];
      for (const s of summaries) {
        const type = info.outputs[s.port];
        const v: PortView = { summary: s };
        // a mask over the picture it was made from or is applied to (the node's wired Image input), tinted
        const imageRef = type === 'Mask' ? wiredImage() : undefined;
        if (imageRef && s.shape && s.shape[0]! > 0) {
          v.images = await engine.maskOverlay(fid, s.port, imageRef[0], imageRef[1]).catch(() => undefined);
          if (v.images) v.overlay = true;
        }
        if (!v.images && (type === 'Image' || type === 'Mask') && s.shape && s.shape[0]! > 0) {
          const count =
            s.port === 'trajectory' || s.port === 'filmstrip' ? Math.min(64, s.shape[0]!) : Math.min(16, s.shape[0]!);
          v.images = await engine.imagePreviews(fid, s.port, 0, count, 256);
        } else if (s.kind === 'tensor' && s.shape?.length === 2 && s.dtype === 'float32') {
          v.embedding = await engine.embeddingView(fid, s.port).catch(() => undefined);
          if (v.embedding && names?.length === v.embedding.n) v.names = names;
        }
        views.push(v);
      }
      if (!stale) setPorts(views);
    })();
    return () => {
      stale = true;
    };
  }, [fid, info, node, runCounter, view, ran]);
  if (selection.length > 1)
    return (
      <aside className="inspector">
        <p className="hint">{selection.length} nodes selected.</p>
        <GroupActions ids={selection} />
      </aside>
    );
  if (!id || !fid || !node || !info)
    return (
      <aside className="inspector">
        <p className="hint">Select a node to inspect its outputs.</p>
      </aside>
    );
  const seed = node.params?.seed ?? node.params?.value;
  return (
    <aside className="inspector" aria-label="Inspector">
      <h3>
        {info.title} <small>{id}</small>
      </h3>
      <p className="hint">{info.description}</p>
      {subgraphName(node.type) && <SubgraphActions id={id} name={subgraphName(node.type)!} />}
      {view.length > 0 && <ExposeParams id={id} params={Object.keys(info.params)} />}
      {view.length === 0 && <SweepThis id={id} params={Object.keys(info.params)} />}
      {runState?.status === 'error' && (
        <p className="error-text">
          {runState.field ? `${runState.field}: ` : ''}
          {runState.message}
        </p>
      )}
      {node.type === 'mask/paint' && <MaskPainter id={id} node={node} view={view} />}
      {ports.length === 0 && <p className="hint">No outputs yet: run the graph.</p>}
      {ports.map(({ summary: s, images, embedding, names, overlay }) => {
        const zoom = zoomChoice ?? fitZoom(images?.[0]?.width ?? 64);
        return (
          <section key={s.port} className="port-view" data-port={s.port}>
            <h4>
              {s.port}{' '}
              <small>
                {info.outputs[s.port]} {s.shape ? `[${s.shape.join(', ')}]` : ''}
                {overlay ? ' · over its picture, magenta = regenerate' : ''}
              </small>
            </h4>
            {images && (
              <>
                <div className="zoom">
                  zoom <input type="range" min={1} max={8} value={zoom} onChange={onZoom} data-testid="zoom" /> {zoom}x
                  {zoomChoice === null ? ' (fit)' : ''}
                  {images[0] && (
                    <span>
                      {' '}
                      · {images[0].width}x{images[0].height}
                      {typeof seed === 'number' ? ` · seed ${seed}` : ''}
                    </span>
                  )}
                  <button
                    className="small"
                    data-testid={`save-${s.port}`}
                    onClick={() => void saveImage(fid, s.port, Object.keys(info.outputs)[0])}
                  >
                    Save image
                  </button>
                </div>
                <div
                  className={
                    s.port === 'trajectory' || s.port === 'filmstrip'
                      ? 'filmstrip'
                      : images.length > 1
                        ? 'image-grid'
                        : ''
                  }
                >
                  {images.map((im, i) => (
                    <PreviewCanvas key={i} preview={im} scale={zoom} title={`${s.port}[${i}]`} />
                  ))}
                </div>
              </>
            )}
            {s.stats && <Stats s={s.stats} />}
            {embedding && <EmbeddingPanel view={embedding} names={names} />}
            {s.kind === 'scores' &&
              (() => {
                const v = s.value as { labels: string[]; rowLabels?: string[]; values: number[]; curve?: boolean };
                if (v.curve && s.shape?.length === 2)
                  return <Curve values={v.values} rows={s.shape[0]!} cols={s.shape[1]!} rowLabels={v.rowLabels} />;
                if (s.shape?.length === 2)
                  return (
                    <Matrix values={v.values} n={s.shape[0]!} m={s.shape[1]!} cols={v.labels} rows={v.rowLabels} />
                  );
                return <Bars labels={v.labels} values={v.values} />;
              })()}
            {s.kind === 'text' && (
              <ul className="text-values">
                {(s.value as string[]).map((t, i) => (
                  <li key={i}>{t}</li>
                ))}
              </ul>
            )}
            {s.kind === 'number' && <p className="number-value">{String(s.value)}</p>}
            {s.kind === 'codes' && <CodesPanel view={s.value as CodesView} />}
          </section>
        );
      })}
    </aside>
  );
}
