// The engine's public surface: import from here.
export * from './api.js';
export * from './events.js';
export * from './node-definition.js';
export * from './errors.js';
export * from './inputs.js';
export * from './registry.js';
export * from './schemas.js';
export * from './values.js';
export { validatePrompt, type ValidateOptions } from './validate.js';
export { ancestorsOf, executionOrder, findCycles, isLinkValue, unwrapLiteral } from './graph.js';
export { OutputCache, estimateBytes, type CacheEntry, type CacheStats, type OutputCacheOptions } from './cache.js';
export { nodeSignature, stableStringify } from './signature.js';
export { summariseInputs, summariseValue } from './summarise.js';
export { Executor, InterruptedError, type EngineLogger, type ExecutorOptions } from './executor.js';
export * from './workflow/index.js';
export * from './bind-choices.js';
