export * from './tensor';
export * from './vector';
export * from './pca';
export * from './quantize';
export * from './image';
export * from './prng';
