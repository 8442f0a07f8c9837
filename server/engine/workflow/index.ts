// UI workflow format: types, migrations and conversion to the prompt format.
export * from './types.js';
export * from './migrations.js';
export * from './convert.js';
export * from './png-text.js';
