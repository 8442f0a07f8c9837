// The output cache: node results by signature, least-recently-used first out, bounded by an estimate of the
// bytes the values hold. It is keyed by content, not by prompt, so it survives switching between workflows.
import type { UiOutput } from './node-definition.js';

/** One cached node result. */
export interface CacheEntry {
  outputs: unknown[];
  ui?: UiOutput;
  bytes: number;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export interface OutputCacheOptions {
  /** Upper bound of the estimated bytes held; default 2 GiB. 0 disables caching. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
const ENTRY_OVERHEAD = 64;

/**
 * Estimates the bytes a value keeps alive: typed arrays and buffers by their byteLength (an ImageBatch's
 * pixels dominate), strings at two bytes a character, small fixed costs for the rest. Shared buffers and
 * repeated objects are counted once.
 */
export function estimateBytes(value: unknown, seen: Set<unknown> = new Set()): number {
  if (value === null || value === undefined) return 8;
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return 8;
    case 'bigint':
      return 16;
    case 'string':
      return 2 * value.length + 16;
    case 'function':
    case 'symbol':
      return 16;
  }
  if (seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    if (seen.has(value.buffer)) return 32;
    seen.add(value.buffer);
    return value.buffer.byteLength + 32;
  }
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return value.byteLength + 16;
  }
  let total = 32;
  if (Array.isArray(value)) {
    for (const item of value) total += estimateBytes(item, seen);
    return total;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) total += estimateBytes(k, seen) + estimateBytes(v, seen);
    return total;
  }
  if (value instanceof Set) {
    for (const v of value) total += estimateBytes(v, seen);
    return total;
  }
  for (const key of Object.keys(value as object)) total += 2 * key.length + estimateBytes((value as Record<string, unknown>)[key], seen);
  return total;
}

/** A byte-bounded LRU of node results keyed by signature. */
export class OutputCache {
  private readonly entries = new Map<string, CacheEntry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  readonly maxBytes: number;

  /** Throws if maxBytes is negative or not a number. */
  constructor(options: OutputCacheOptions = {}) {
    const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(max >= 0)) throw new Error(`OutputCache maxBytes must be a number >= 0, got ${String(options.maxBytes)}`);
    this.maxBytes = max;
  }

  /** The entry for a signature (marking it most recently used), counting a hit or a miss. */
  get(signature: string): CacheEntry | undefined {
    const entry = this.entries.get(signature);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(signature);
    this.entries.set(signature, entry);
    return entry;
  }

  /** True if the signature is cached; does not touch recency or counters. */
  has(signature: string): boolean {
    return this.entries.has(signature);
  }

  /**
   * Stores a result, evicting least recently used entries until it fits. A result larger than the whole
   * budget is not stored. Returns whether it was stored.
   */
  set(signature: string, outputs: unknown[], ui?: UiOutput): boolean {
    const bytes = ENTRY_OVERHEAD + signature.length * 2 + estimateBytes(outputs) + (ui ? estimateBytes(ui) : 0);
    this.delete(signature);
    if (bytes > this.maxBytes) return false;
    while (this.bytes + bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
      this.evictions++;
    }
    this.entries.set(signature, { outputs, ui, bytes });
    this.bytes += bytes;
    return true;
  }

  /** Removes one entry; returns whether it existed. */
  delete(signature: string): boolean {
    const entry = this.entries.get(signature);
    if (!entry) return false;
    this.entries.delete(signature);
    this.bytes -= entry.bytes;
    return true;
  }

  /** Drops every entry (counters are kept: they describe the cache's life, not its content). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** Current size and lifetime counters (hits, misses, evictions). */
  stats(): CacheStats {
    return {
      entries: this.entries.size,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
    };
  }
}
