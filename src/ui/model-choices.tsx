import { useEffect, useState } from 'react';
import type { ParamInfo } from '../engine/api';
import { rankModelChoices, wantedKinds, type ModelChoice } from '../engine/model-choices';
import type { ParamValue } from '../graph/params';
import { getEngine } from './engine-client';
import { selectCatalog, selectScope, useEditor } from './store';
import { ParamWidget } from './widgets';

const known = new Map<string, ModelChoice[] | null>();

/** The models a loader param lists (null: its external manifest is not open yet), asked again after each run. */
function useModelChoices(kinds: readonly string[], manifest: string): ModelChoice[] | null | undefined {
  const runCounter = useEditor((s) => s.runCounter);
  const key = `${kinds.join(',')}|${manifest}`;
  const [choices, setChoices] = useState(() => known.get(key));
  useEffect(() => {
    let live = true;
    setChoices(known.get(key));
    getEngine()
      .modelChoices(key.split('|')[0]!.split(','), manifest)
      .then((c) => {
        known.set(key, c);
        if (live) setChoices(c);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [key, manifest, runCounter]);
  return choices;
}

const OTHER = '\u0000other';

/** One model as its option reads: id, then the manifest's title and short description. */
function optionOf(c: ModelChoice) {
  return (
    <option key={c.id} value={c.id} title={`${c.title}: ${c.description}`} data-kind={c.kind}>
      {c.id}: {c.title} ({c.description})
    </option>
  );
}

interface Props {
  nodeId: string;
  name: string;
  info: ParamInfo & { kind: 'string' };
  value: ParamValue;
  manifest: string;
  onCommit: (value: ParamValue) => void;
}

/**
 * A loader's model id: a list of the manifest's models of the loader's kinds, those its wires need first (with
 * their titles), and "another id" to type one freely; an id the manifest does not list says so.
 */
export function ModelIdParam({ nodeId, name, info, value, manifest, onCommit }: Props) {
  const choices = useModelChoices(info.models ?? [], manifest);
  const wanted = useEditor((s) => wantedKinds(selectScope(s).nodes, selectCatalog(s), nodeId).join(','));
  const [typing, setTyping] = useState(false);
  const id = String(value);
  const listed = !!choices?.some((c) => c.id === id);
  const { fitting, others } = rankModelChoices(choices ?? [], wanted ? wanted.split(',') : []);
  const pick = (v: string) => {
    if (v === OTHER) return setTyping(true);
    setTyping(false);
    if (v) onCommit(v);
  };
  const list = (placeholder?: string) => (
    <select
      className="nodrag"
      data-param={placeholder ? undefined : name}
      data-model-list={name}
      value={placeholder ? '' : id}
      onChange={(e) => pick(e.target.value)}
      aria-label={`${info.label ?? name}: models in the manifest`}
    >
      {placeholder && <option value="">{placeholder}</option>}
      <optgroup label={wanted ? `what the wire takes (${wanted.replaceAll(',', ', ')})` : 'models in the manifest'}>
        {fitting.map(optionOf)}
      </optgroup>
      {others.length > 0 && <optgroup label="other models (not what the wire takes)">{others.map(optionOf)}</optgroup>}
      <option value={OTHER}>another id (type it)…</option>
    </select>
  );
  const kind = choices?.find((c) => c.id === id)?.kind;
  if (choices && listed && !typing)
    return (
      <label className="param model-id" title={info.description}>
        <span className="param-label">{info.label ?? name}</span>
        {list()}
        {wanted && kind && !wanted.split(',').includes(kind) && (
          <span className="hint" data-testid="model-mismatch">
            a {kind}; the wire takes {wanted.replaceAll(',', ' or ')}: pick one above
          </span>
        )}
      </label>
    );
  return (
    <div className="model-id">
      <ParamWidget name={name} info={info} value={value} onCommit={onCommit} />
      {choices && !listed && (
        <span className="hint" data-testid="model-unlisted">
          “{id}” is not in the manifest{manifest ? ` ${manifest}` : ''}
        </span>
      )}
      {choices === null && <span className="hint">run the loader to list the models of this manifest</span>}
      {choices && choices.length > 0 && list('choose from the manifest…')}
    </div>
  );
}
