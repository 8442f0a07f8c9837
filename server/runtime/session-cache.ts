// A byte-budgeted LRU cache of loaded model sessions, free of onnxruntime so its policy is testable alone.
// Sizes are estimates (model file plus external data): onnxruntime holds roughly the weights in memory, so the
// file size is a usable proxy. Entries in use by a running inference are never released under it.

/** Something the cache can hold and let go of. */
export interface Releasable {
  release(): Promise<void>;
}

interface Entry<T extends Releasable> {
  key: string;
  bytes: number;
  value: Promise<T>;
  inUse: number;
  lastUsed: number;
  releaseWhenIdle: boolean;
}

/** Cache statistics, for status pages and benchmarks. */
export interface SessionCacheStats {
  entries: number;
  bytes: number;
  budgetBytes: number;
  evictions: number;
}

/** An LRU cache bounded by estimated bytes; loads are de-duplicated while in flight. */
export class SessionCache<T extends Releasable> {
  private readonly entries = new Map<string, Entry<T>>();
  private clock = 0;
  private evictions = 0;

  constructor(
    private budgetBytes: number,
    private readonly onEvict: (key: string, bytes: number) => void = () => {},
  ) {}

  /**
   * The cached value for `key`, or the result of `load` (evicting least recently used idle entries first so the
   * new one fits the budget). A failed load is not cached.
   * @throws whatever `load` throws.
   */
  async acquire(key: string, bytes: number, load: () => Promise<T>): Promise<T> {
    const existing = this.entries.get(key);
    if (existing) {
      existing.lastUsed = ++this.clock;
      return existing.value;
    }
    // Registered before loading so that concurrent callers share one load.
    const entry: Entry<T> = { key, bytes, value: Promise.resolve(undefined as unknown as T), inUse: 0, lastUsed: ++this.clock, releaseWhenIdle: false };
    this.entries.set(key, entry);
    entry.value = this.makeRoom(key).then(load);
    try {
      return await entry.value;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  /** Runs `use` with the entry marked busy, so eviction waits for it. */
  async withEntry<R>(key: string, use: () => Promise<R>): Promise<R> {
    const entry = this.entries.get(key);
    if (entry) {
      entry.inUse++;
      entry.lastUsed = ++this.clock;
    }
    try {
      return await use();
    } finally {
      if (entry) {
        entry.inUse--;
        if (entry.inUse === 0 && entry.releaseWhenIdle) await this.drop(entry);
      }
    }
  }

  /** Releases one entry now, or when its running inferences finish. */
  async release(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.inUse > 0) {
      entry.releaseWhenIdle = true;
      return;
    }
    await this.drop(entry);
  }

  /** Releases every entry (busy ones as soon as they finish). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((key) => this.release(key)));
  }

  /** Changes the budget and evicts down to it. */
  async setBudget(bytes: number): Promise<void> {
    this.budgetBytes = bytes;
    await this.makeRoom(null);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  stats(): SessionCacheStats {
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.bytes;
    return { entries: this.entries.size, bytes, budgetBytes: this.budgetBytes, evictions: this.evictions };
  }

  /** Evicts idle entries, least recently used first, until everything (the entry `keep` included) fits. */
  private async makeRoom(keep: string | null): Promise<void> {
    let used = this.stats().bytes;
    if (used <= this.budgetBytes) return;
    const idle = [...this.entries.values()].filter((e) => e.inUse === 0 && e.key !== keep).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of idle) {
      if (used <= this.budgetBytes) break;
      used -= entry.bytes;
      this.evictions++;
      this.onEvict(entry.key, entry.bytes);
      await this.drop(entry);
    }
  }

  private async drop(entry: Entry<T>): Promise<void> {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    try {
      const value = await entry.value;
      await value.release();
    } catch {
      // a load that failed has nothing to release
    }
  }
}
