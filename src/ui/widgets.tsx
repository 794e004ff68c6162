import { useEffect, useRef, useState } from 'react';
import type { ParamInfo } from '../engine/api';
import type { ParamValue } from '../graph/params';
import { MAX_SEED } from '../graph/params';
import { runGraph } from './run';
import { decodeMaskRle } from '../graph/mask-rle';
import { ModelFolderButton } from './model-folder';

interface Props {
  name: string;
  info: ParamInfo;
  value: ParamValue;
  onCommit: (value: ParamValue) => void;
  /** Inside a subgraph: the param is shown on the subgraph's node too. */
  exposed?: boolean;
  /** On a node: a loader's manifest field gets its Folder… button. */
  nodeId?: string;
}

/** A param widget drawn from its schema: slider + number box, integer, text area, select, toggle, seed. */
export function ParamWidget({ name, info, value, onCommit, exposed, nodeId }: Props) {
  const [local, setLocal] = useState<ParamValue>(value);
  useEffect(() => setLocal(value), [value]);
  const label = info.label ?? name;
  const id = `param-${name}`;
  const commitNumber = (text: string) => {
    const v = Number(text);
    if (text.trim() !== '' && Number.isFinite(v)) onCommit(v);
    else setLocal(value);
  };
  // Text is committed as it is typed (600 ms after the last key; the edits of one burst of typing
  // merge into one undo step), so a reload or a run never loses what is in the field.
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );
  const typeText = (text: string) => {
    setLocal(text);
    if (pending.current) clearTimeout(pending.current);
    pending.current = setTimeout(() => {
      pending.current = null;
      if (text !== value) onCommit(text);
    }, 600);
  };
  const flushText = (text: string) => {
    if (pending.current) {
      clearTimeout(pending.current);
      pending.current = null;
    }
    if (text !== value) onCommit(text);
  };
  /** Ctrl+Enter in any field: commit what is typed, then run (as it does on the canvas). */
  const runKey = (e: React.KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>, commit: (text: string) => void) => {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return false;
    e.preventDefault();
    commit(e.currentTarget.value);
    void runGraph();
    return true;
  };
  // the number box of number, integer and seed params: typed freely, committed on Enter, blur or Ctrl+Enter
  const numberBox = {
    value: String(local),
    'data-param': name,
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => setLocal(e.target.value as unknown as number),
    onBlur: (e: React.FocusEvent<HTMLInputElement>) => commitNumber(e.target.value),
    onKeyDown: (e: React.KeyboardEvent<HTMLInputElement>) => {
      if (!runKey(e, commitNumber) && e.key === 'Enter') commitNumber(e.currentTarget.value);
    },
  };
  let control: React.ReactNode;
  switch (info.kind) {
    case 'number':
      control = (
        <div className="param-row">
          <input
            type="range"
            className="nodrag"
            min={info.min}
            max={info.max}
            step={info.step}
            value={Number(local)}
            onChange={(e) => setLocal(Number(e.target.value))}
            onPointerUp={() => onCommit(Number(local))}
            onKeyUp={() => onCommit(Number(local))}
            aria-label={label}
          />
          <input type="number" className="nodrag num" min={info.min} max={info.max} step={info.step} {...numberBox} />
        </div>
      );
      break;
    case 'integer':
      control = (
        <input type="number" className="nodrag num wide" min={info.min} max={info.max} step={1} {...numberBox} />
      );
      break;
    case 'seed':
      control = (
        <div className="param-row">
          <input type="number" className="nodrag num wide" min={0} max={MAX_SEED} step={1} {...numberBox} />
          <button
            className="nodrag small"
            title="New random seed"
            onClick={() => onCommit(Math.floor(Math.random() * 2 ** 31))}
          >
            new
          </button>
        </div>
      );
      break;
    case 'string':
      if (info.painted) {
        control = (
          <span className="hint" data-param={name}>
            {paintedSummary(String(local))}
          </span>
        );
        break;
      }
      control = info.multiline ? (
        <textarea
          className="nodrag nowheel"
          rows={Math.min(6, Math.max(2, String(local).split('\n').length))}
          value={String(local)}
          data-param={name}
          maxLength={info.maxLength}
          onChange={(e) => typeText(e.target.value)}
          onBlur={(e) => flushText(e.target.value)}
          onKeyDown={(e) => runKey(e, flushText)}
        />
      ) : (
        <input
          type="text"
          className="nodrag"
          value={String(local)}
          maxLength={info.maxLength}
          data-param={name}
          onChange={(e) => typeText(e.target.value)}
          onBlur={(e) => flushText(e.target.value)}
          onKeyDown={(e) => {
            if (!runKey(e, flushText) && e.key === 'Enter') flushText((e.target as HTMLInputElement).value);
          }}
        />
      );
      break;
    case 'enum':
      control = (
        <select className="nodrag" value={String(local)} data-param={name} onChange={(e) => onCommit(e.target.value)}>
          {info.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'boolean':
      control = (
        <input
          type="checkbox"
          className="nodrag"
          checked={Boolean(local)}
          data-param={name}
          onChange={(e) => onCommit(e.target.checked)}
        />
      );
      break;
  }
  return (
    <label className="param" htmlFor={id} title={info.description}>
      <span className="param-label">
        {label}
        {exposed && (
          <span className="exposed-mark" data-exposed={name} title="exposed: set on the subgraph's node">
            {' '}
            ◆
          </span>
        )}
      </span>
      {nodeId && name === 'manifest' && info.kind === 'string' && info.reference ? (
        // on the field's row: a loader is no taller with it (the examples' nodes stay clear of each other)
        <div className="param-row folder-row">
          {control}
          <ModelFolderButton nodeId={nodeId} manifest={String(local)} />
        </div>
      ) : (
        control
      )}
    </label>
  );
}

/** What a painted mask param holds, in words (the node shows this; the inspector paints it). */
export function paintedSummary(text: string): string {
  if (!text) return 'nothing painted: select the node to paint in the inspector';
  try {
    const m = decodeMaskRle(text);
    const on = m.bits.reduce((a, b) => a + b, 0);
    return `${on} of ${m.w}x${m.h} px painted: select the node to paint in the inspector`;
  } catch (e) {
    return `not a painted mask (${(e as Error).message})`;
  }
}
