/**
 * The editor's default graph, in one place: the example a first visit opens (src/ui/App.tsx) and whose models the
 * engine worker opens while the editor opens (browser-worker.ts). Change both here or neither.
 */
import text from '../../graphs/text-to-image.json?raw';

/** Its name among the examples (graphs/<name>.json). */
export const DEFAULT_EXAMPLE = 'text-to-image';
/** Its text. */
export const DEFAULT_GRAPH: string = text;
