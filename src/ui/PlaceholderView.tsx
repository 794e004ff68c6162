import { Handle, Position } from '@xyflow/react';
import { memo } from 'react';
import type { GraphNode } from '../graph/document';
import { formatIssue, type GraphIssue } from '../graph/errors';
import { parsePortRef } from '../graph/document';
import type { NodeInfo } from '../engine/api';
import { describeValue } from '../tensor/quote';
import { keyName } from '../graph/validate';
import { captureNodePress, StatusLine } from './node-parts';
import { selectScope, useEditor } from './store';

/**
 * A node this product cannot run as it stands (an unknown type, a newer version, a port or param its
 * type lacks): drawn from what the file says, kept exactly as it was (saving writes it back
 * unchanged), its wires shown, why it cannot run said on it. Runs that need it fail naming it.
 */
export const PlaceholderView = memo(function PlaceholderView({
  id,
  node,
  info,
  reasons,
  selected,
  far,
}: {
  id: string;
  node: GraphNode;
  info: NodeInfo | undefined;
  reasons: GraphIssue[];
  selected: boolean;
  far: boolean;
}) {
  // the outputs other nodes read from it (its own type may not say what it has)
  const read = useEditor((s) => {
    const ports = new Set<string>();
    for (const n of selectScope(s).nodes)
      for (const ref of Object.values(n.inputs ?? {})) {
        const r = parsePortRef(ref);
        if (r?.nodeId === id) ports.add(r.port);
      }
    return [...ports].sort().join(',');
  });
  const outputs = [...new Set([...Object.keys(info?.outputs ?? {}), ...read.split(',').filter(Boolean)])];
  const inputs = [...new Set([...Object.keys(info?.inputs ?? {}), ...Object.keys(node.inputs ?? {})])];
  const params = Object.entries(node.params ?? {});
  return (
    <div
      className={`gnode placeholder${selected ? ' selected' : ''}${far ? ' far' : ''}`}
      data-node-id={id}
      data-type={node.type}
      data-testid="placeholder"
      onPointerDownCapture={captureNodePress}
    >
      <div className="gnode-title" title="kept as in the file: this product cannot run it">
        <span className="gnode-name">{node.ui?.label ?? info?.title ?? node.type}</span>
        <span className="gnode-id">{id}</span>
        <span className="badge">placeholder</span>
      </div>
      <ul className="placeholder-reasons">
        {reasons.map((r) => (
          <li key={`${r.field}:${r.message}`} className="error-text" data-testid="placeholder-reason">
            {formatIssue({ ...r, nodeId: undefined })}
          </li>
        ))}
      </ul>
      <div className="gnode-ports">
        <div className="ports-in">
          {inputs.map((port) => (
            <div
              key={port}
              className="port in"
              title={info?.inputs[port]?.type ?? 'a port of a type this product lacks'}
            >
              <Handle type="target" position={Position.Left} id={port} isConnectable={false} />
              <span>{keyName(port)}</span>
            </div>
          ))}
        </div>
        <div className="ports-out">
          {outputs.map((port) => (
            <div key={port} className="port out" title={info?.outputs[port] ?? 'read by another node'}>
              <span>{keyName(port)}</span>
              <Handle type="source" position={Position.Right} id={port} isConnectable={false} />
            </div>
          ))}
        </div>
      </div>
      {!far && params.length > 0 && (
        <dl className="placeholder-params text-selectable">
          {params.map(([name, value]) => (
            <div key={name}>
              <dt>{keyName(name)}</dt>
              <dd>{typeof value === 'string' && value.length <= 60 ? value : describeValue(value, 60)}</dd>
            </div>
          ))}
        </dl>
      )}
      {!far && (
        <div className="hint">
          Kept as in the file; a product that knows it runs it. Runs that need it fail; the rest of the graph runs.
        </div>
      )}
      {!far && <StatusLine id={id} />}
    </div>
  );
});
