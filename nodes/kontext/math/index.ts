// The pure Kontext math: no I/O, no onnxruntime, golden-tested in test/kontext/math-*.test.ts.
export * from './tensor.js';
export * from './vae.js';
export * from './packing.js';
export * from './position-ids.js';
export * from './schedule.js';
export * from './euler.js';
export * from './noise.js';
export * from './image-tensor.js';
export * from './resolution.js';
export * from './strength-curve.js';
export * from './even-spacing.js';
export * from './perceptual-distance.js';
