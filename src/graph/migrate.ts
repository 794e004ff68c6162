import { CURRENT_VERSION, GRAPH_FORMAT } from './document';
import { describeValue, type GraphIssue } from './errors';

/**
 * Migrations from version n to n + 1, applied in order to older documents.
 * Version 2 added subgraph definitions (`subgraphs`), optional: a version-1 document is a valid
 * version-2 document without them.
 */
const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  2: (doc) => doc,
};

/** Brings a raw document to the current version, or reports why it cannot. */
export function migrate(raw: unknown): { doc: Record<string, unknown> } | { issues: GraphIssue[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { issues: [{ message: 'a graph file must hold a JSON object' }] };
  }
  let doc = raw as Record<string, unknown>;
  if (doc.format !== GRAPH_FORMAT) {
    return { issues: [{ field: 'format', message: `must be "${GRAPH_FORMAT}", got ${describeValue(doc.format)}` }] };
  }
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { issues: [{ field: 'version', message: `must be a positive integer, got ${describeValue(version)}` }] };
  }
  if (version > CURRENT_VERSION) {
    return {
      issues: [
        {
          field: 'version',
          message: `version ${version} was made by a newer unclip-studio (this one reads up to ${CURRENT_VERSION})`,
        },
      ],
    };
  }
  for (let v = version; v < CURRENT_VERSION; v++) {
    const step = MIGRATIONS[v + 1];
    if (!step) return { issues: [{ field: 'version', message: `no migration from version ${v}` }] };
    doc = { ...step(doc), version: v + 1 };
  }
  return { doc };
}
