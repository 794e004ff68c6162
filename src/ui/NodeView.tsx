import { getEngine } from './engine-client';
import { Handle, Position, useStore, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { canConnect, isPortType } from '../graph/ports';
import type { ParamValue } from '../graph/params';
import { familyColor, portColor } from './colors';
import { runGraph } from './run';
import { nodeById, selectCatalog, selectScope, useEditor } from './store';
import { flatId, scopeDraft } from './scope';
import { subgraphName } from '../graph/subgraph';
import { ParamWidget } from './widgets';
import { ModelIdParam } from './model-choices';
import { isRequired, type InputSpec } from '../graph/catalog';
import { captureNodePress, StatusLine } from './node-parts';
import { placeholderReasons } from '../graph/validate';
import { PlaceholderView } from './PlaceholderView';
import { PLAIN_ZOOM } from './view';
import { hiddenParam } from './node-size';
import type { NodeInfo } from '../engine/api';
import type { GraphNode } from '../graph/document';

function compatible(
  connecting: ReturnType<typeof useEditor.getState>['connecting'],
  nodeId: string,
  side: 'source' | 'target',
  type: string,
): boolean {
  if (!connecting || connecting.nodeId === nodeId || connecting.side === side) return false;
  if (!isPortType(type) || !isPortType(connecting.type)) return false;
  return side === 'target' ? canConnect(connecting.type, type) : canConnect(type, connecting.type);
}

/** A port's tooltip: its type, whether it is optional (or required now, and why), what it is for. */
function portTitle(spec: InputSpec, wired: Record<string, string>): string {
  const rule = spec.requiredWhen;
  const need = isRequired(spec, wired)
    ? rule
      ? ` (required once ${rule.wired.join(' or ')} is wired: ${rule.reason})`
      : ''
    : ` (optional${rule ? `; required once ${rule.wired.join(' or ')} is wired` : ''})`;
  return `${spec.type}${need}${spec.description ? `: ${spec.description}` : ''}`;
}

/** Below this zoom widgets are too small to use: a node draws its title and ports only. */
const FAR_ZOOM = 0.45;

/**
 * A port dot far out: what React Flow measures a handle by (its classes and data attributes), without its Handle
 * component, which subscribes to the store: 2,000 of them ran on every frame of a pan with a whole graph in view.
 * Far out nothing is connected by hand (the dots are a pixel wide).
 */
function Dot({ side, port, color }: { side: 'source' | 'target'; port: string; color: string }) {
  const pos = side === 'target' ? 'left' : 'right';
  return (
    <div
      className={`react-flow__handle react-flow__handle-${pos} ${side}`}
      data-handleid={port}
      data-handlepos={pos}
      style={{ background: color }}
    />
  );
}

/** A node far out: a box of its family's colour, with its port dots (the wires end on them). */
function PlainBox({ id, node, info, selected }: { id: string; node: GraphNode; info: NodeInfo; selected: boolean }) {
  return (
    <div
      className={`gnode tiny${selected ? ' selected' : ''}${node.bypass ? ' bypassed' : ''}`}
      data-node-id={id}
      data-type={node.type}
      title={`${node.ui?.label ?? info.title} (${id})`}
      onPointerDownCapture={captureNodePress}
    >
      <div className="gnode-title" style={{ background: familyColor(info.family) }} />
      <div className="gnode-ports">
        <div className="ports-in">
          {Object.entries(info.inputs).map(([port, spec]) => (
            <div key={port} className="port in">
              <Dot side="target" port={port} color={portColor(spec.type)} />
            </div>
          ))}
        </div>
        <div className="ports-out">
          {Object.entries(info.outputs).map(([port, type]) => (
            <div key={port} className="port out">
              <Dot side="source" port={port} color={portColor(type)} />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/** A graph node drawn from its definition: title, family colour, typed ports, param widgets, run status. */
export const NodeView = memo(function NodeView({ id, selected }: NodeProps) {
  const node = useEditor((s) => nodeById(selectScope(s), id));
  const info = useEditor((s) => (node ? selectCatalog(s).get(node.type) : undefined));
  const view = useEditor((s) => s.view);
  const exposed = useEditor((s) => {
    const f = s.view[s.view.length - 1];
    const params = f ? s.doc.subgraphs?.[f.name]?.params : undefined;
    return params
      ? Object.values(params)
          .filter((e) => e.node === id)
          .map((e) => e.param)
          .join(',')
      : '';
  });
  const connecting = useEditor((s) => s.connecting);
  const change = useEditor((s) => s.change);
  // Level of detail: zoomed far out, widgets are too small to use, so draw only the title and ports.
  const far = useStore((s) => s.transform[2] < FAR_ZOOM);
  const tiny = useStore((s) => s.transform[2] < PLAIN_ZOOM);
  if (!node) return null;
  const reasons = placeholderReasons(node, info);
  if (!info || reasons.length)
    return <PlaceholderView id={id} node={node} info={info} reasons={reasons} selected={!!selected} far={far} />;
  if (tiny) return <PlainBox id={id} node={node} info={info} selected={!!selected} />;
  const setParam = (name: string, value: ParamValue) => {
    // a file or URL the user types is the user's own: allowed at once
    if (typeof value === 'string' && (info.params[name] as { reference?: boolean } | undefined)?.reference)
      void getEngine().allowReferences([value]);
    change(`set ${id}.${name}`, (d) => {
      const n = scopeDraft(d, view).nodes.find((x) => x.id === id)!;
      n.params = { ...n.params, [name]: value };
    });
  };
  const toggleBypass = () =>
    change(`${node.bypass ? 'enable' : 'bypass'} ${id}`, (d) => {
      const n = scopeDraft(d, view).nodes.find((x) => x.id === id)!;
      if (n.bypass) delete n.bypass;
      else n.bypass = true;
    });
  const inputs = Object.entries(info.inputs);
  const outputs = Object.entries(info.outputs);
  const subgraph = subgraphName(node.type);
  const isSubgraph = subgraph !== null;
  const exposedSet = new Set(exposed.split(','));
  return (
    <div
      className={
        `gnode${selected ? ' selected' : ''}${node.bypass ? ' bypassed' : ''}${far ? ' far' : ''}` +
        (isSubgraph ? ' subgraph' : '')
      }
      data-node-id={id}
      data-type={node.type}
      onPointerDownCapture={captureNodePress}
    >
      <div className="gnode-title" style={{ background: familyColor(info.family) }} title={info.description}>
        <span className="gnode-name">{node.ui?.label ?? info.title}</span>
        <span className="gnode-id">{id}</span>
        <button
          className="nodrag icon"
          title="Run up to this node"
          aria-label={`run up to ${id}`}
          onClick={() => void runGraph([flatId(view, id)])}
        >
          ▶
        </button>
        {isSubgraph && (
          <button
            className="nodrag icon"
            title="Open the subgraph (or double-click the node)"
            aria-label={`open subgraph ${id}`}
            data-testid="enter-subgraph"
            onClick={() => useEditor.getState().enter({ name: subgraph!, instance: id })}
          >
            ▣
          </button>
        )}
        {!isSubgraph && (
          <button
            className={`nodrag icon${node.bypass ? ' on' : ''}`}
            title="Bypass (pass the first matching input through)"
            aria-label={`bypass ${id}`}
            onClick={toggleBypass}
          >
            ⤼
          </button>
        )}
      </div>
      <div className="gnode-ports">
        <div className="ports-in">
          {inputs.map(([port, spec]) => (
            <div key={port} className="port in" title={portTitle(spec, node.inputs ?? {})}>
              <Handle
                type="target"
                position={Position.Left}
                id={port}
                className={compatible(connecting, id, 'target', spec.type) ? 'compatible' : ''}
                style={{ background: portColor(spec.type) }}
              />
              <span>
                {port}
                {!spec.optional ? (
                  '*'
                ) : isRequired(spec, node.inputs ?? {}) ? (
                  <span className="required-when" data-required-when={port}>
                    *
                  </span>
                ) : (
                  ''
                )}
              </span>
            </div>
          ))}
        </div>
        <div className="ports-out">
          {outputs.map(([port, type]) => (
            <div key={port} className="port out" title={type}>
              <span>{port}</span>
              <Handle
                type="source"
                position={Position.Right}
                id={port}
                className={compatible(connecting, id, 'source', type) ? 'compatible' : ''}
                style={{ background: portColor(type) }}
              />
            </div>
          ))}
        </div>
      </div>
      {!far && Object.keys(info.params).length > 0 && (
        <div className="gnode-params">
          {Object.entries(info.params).map(([name, p]) =>
            hiddenParam(p, name, node.params) ? null : node.inputs?.[name] ? (
              // a wired input of the same name wins over the param: say so instead of showing a stale value
              <div
                key={name}
                className="param overridden"
                data-param-overridden={name}
                title={`the "${name}" input is wired; it overrides this param`}
              >
                <span className="param-label">{p.label ?? name}</span>
                <span className="hint">from the wired input ({node.inputs[name]})</span>
              </div>
            ) : p.kind === 'string' && p.models ? (
              <ModelIdParam
                key={name}
                nodeId={id}
                name={name}
                info={p}
                value={node.params?.[name] ?? p.default}
                manifest={String(node.params?.manifest ?? '')}
                onCommit={(v) => setParam(name, v)}
              />
            ) : (
              <ParamWidget
                key={name}
                exposed={exposedSet.has(name)}
                nodeId={id}
                name={name}
                info={p}
                value={node.params?.[name] ?? p.default}
                onCommit={(v) => setParam(name, v)}
              />
            ),
          )}
        </div>
      )}
      {!far && <StatusLine id={id} />}
    </div>
  );
});
