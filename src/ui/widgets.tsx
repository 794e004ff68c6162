import { useEffect, useState } from 'react';
import type { ParamInfo } from '../engine/api';
import type { ParamValue } from '../graph/params';
import { MAX_SEED } from '../graph/params';

interface Props {
  name: string;
  info: ParamInfo;
  value: ParamValue;
  onCommit: (value: ParamValue) => void;
}

/** A param widget drawn from its schema: slider + number box, integer, text area, select, toggle, seed. */
export function ParamWidget({ name, info, value, onCommit }: Props) {
  const [local, setLocal] = useState<ParamValue>(value);
  useEffect(() => setLocal(value), [value]);
  const label = info.label ?? name;
  const id = `param-${name}`;
  const commitNumber = (text: string) => {
    const v = Number(text);
    if (text.trim() !== '' && Number.isFinite(v)) onCommit(v);
    else setLocal(value);
  };
  let control: React.ReactNode;
  switch (info.kind) {
    case 'number':
      control = (
        <div className="param-row">
          <input type="range" className="nodrag" min={info.min} max={info.max} step={info.step} value={Number(local)}
            onChange={(e) => setLocal(Number(e.target.value))}
            onPointerUp={() => onCommit(Number(local))} onKeyUp={() => onCommit(Number(local))} aria-label={label} />
          <input type="number" className="nodrag num" min={info.min} max={info.max} step={info.step} value={String(local)}
            onChange={(e) => setLocal(e.target.value as unknown as number)} onBlur={(e) => commitNumber(e.target.value)}
            onKeyDown={(e) => { if (e.key === 'Enter') commitNumber((e.target as HTMLInputElement).value); }} data-param={name} />
        </div>
      );
      break;
    case 'integer':
      control = (
        <input type="number" className="nodrag num wide" min={info.min} max={info.max} step={1} value={String(local)} data-param={name}
          onChange={(e) => setLocal(e.target.value as unknown as number)} onBlur={(e) => commitNumber(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') commitNumber((e.target as HTMLInputElement).value); }} />
      );
      break;
    case 'seed':
      control = (
        <div className="param-row">
          <input type="number" className="nodrag num wide" min={0} max={MAX_SEED} step={1} value={String(local)} data-param={name}
            onChange={(e) => setLocal(e.target.value as unknown as number)} onBlur={(e) => commitNumber(e.target.value)}
            onKeyDown={(e) => { if (e.key === 'Enter') commitNumber((e.target as HTMLInputElement).value); }} />
          <button className="nodrag small" title="New random seed" onClick={() => onCommit(Math.floor(Math.random() * 2 ** 31))}>new</button>
        </div>
      );
      break;
    case 'string':
      control = info.multiline ? (
        <textarea className="nodrag nowheel" rows={Math.min(6, Math.max(2, String(local).split('\n').length))} value={String(local)} data-param={name}
          maxLength={info.maxLength} onChange={(e) => setLocal(e.target.value)} onBlur={() => { if (local !== value) onCommit(local); }} />
      ) : (
        <input type="text" className="nodrag" value={String(local)} maxLength={info.maxLength} data-param={name}
          onChange={(e) => setLocal(e.target.value)} onBlur={() => { if (local !== value) onCommit(local); }}
          onKeyDown={(e) => { if (e.key === 'Enter') onCommit((e.target as HTMLInputElement).value); }} />
      );
      break;
    case 'enum':
      control = (
        <select className="nodrag" value={String(local)} data-param={name} onChange={(e) => onCommit(e.target.value)}>
          {info.options.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      );
      break;
    case 'boolean':
      control = <input type="checkbox" className="nodrag" checked={Boolean(local)} data-param={name} onChange={(e) => onCommit(e.target.checked)} />;
      break;
  }
  return (
    <label className="param" htmlFor={id} title={info.description}>
      <span className="param-label">{label}</span>
      {control}
    </label>
  );
}
