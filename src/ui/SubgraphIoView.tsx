import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { portColor } from './colors';
import { IN_NODE, NEW_PORT, currentDef } from './scope';
import { selectCatalog, useEditor } from './store';
import { parsePortRef } from '../graph/document';

/**
 * Inside a subgraph: the Inputs node (the subgraph's inputs, wired to the nodes that read them) and
 * the Outputs node (what the subgraph gives out). Each has a "+" port: a wire dropped there adds a
 * new input or output.
 */
export const SubgraphIoView = memo(function SubgraphIoView({ id }: NodeProps) {
  const def = useEditor((s) => currentDef(s.doc, s.view));
  const catalog = useEditor(selectCatalog);
  const nodes = def?.nodes;
  if (!def) return null;
  const isIn = id === IN_NODE;
  const typeOfOutput = (ref: string) => {
    const r = parsePortRef(ref);
    const n = r && nodes?.find((x) => x.id === r.nodeId);
    return n ? catalog.get(n.type)?.outputs[r.port] : undefined;
  };
  const ports = isIn
    ? Object.entries(def.inputs ?? {}).map(([name, d]) => [name, d.type] as const)
    : Object.entries(def.outputs ?? {}).map(([name, ref]) => [name, typeOfOutput(ref) ?? '?'] as const);
  return (
    <div className="gnode sgio" data-node-id={id}>
      <div className="gnode-title" style={{ background: '#4b5466' }}>
        <span className="gnode-name">{isIn ? 'Subgraph inputs' : 'Subgraph outputs'}</span>
      </div>
      <div className={`sgio-ports ${isIn ? 'out' : 'in'}`}>
        {[...ports, [NEW_PORT, ''] as const].map(([name, type]) => (
          <div key={name} className={`port ${isIn ? 'out' : 'in'}`} title={type || 'drop a wire here to add a port'}>
            {!isIn && (
              <Handle
                type="target"
                position={Position.Left}
                id={name}
                style={{ background: type ? portColor(type) : '#888' }}
              />
            )}
            <span>{name === NEW_PORT ? '+ new' : `${name}: ${type}`}</span>
            {isIn && (
              <Handle
                type="source"
                position={Position.Right}
                id={name}
                style={{ background: type ? portColor(type) : '#888' }}
              />
            )}
          </div>
        ))}
      </div>
    </div>
  );
});
