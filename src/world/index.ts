export * from './spec';
export * from './scene';
export * from './render';
export * from './caption';
export * from './vocab';
export * from './bank';
export * from './read';
