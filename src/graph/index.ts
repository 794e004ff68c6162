export * from './errors';
export * from './ports';
export * from './params';
export * from './document';
export * from './catalog';
export * from './migrate';
export * from './validate';
export * from './subgraph';
