/** The grid's syntax and expansion live in the engine layer now, shared with the editor's Sweep panel. */
export * from '../engine/grid';
