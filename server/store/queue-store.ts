// The prompt queue and history in SQLite (WAL). Every state change is one transaction, so a kill -9 at any moment
// leaves each prompt pending, running or in history. Memory holds only the queue's order (id, number, insertion
// order) and the running prompt: a backlog of thousands of prompts stays on disk instead of in the JS heap, where
// its high-water mark would stay in the process's RSS long after the queue drained.
import Database from 'better-sqlite3';
import type { Prompt } from '../engine/api.js';
import type { UiOutput } from '../engine/node-definition.js';

/** A queued prompt. `execPrompt` is the validated prompt the executor runs; `prompt` is what the client sent. */
export interface QueueItem {
  number: number;
  promptId: string;
  prompt: Prompt;
  execPrompt: Prompt;
  extraData: Record<string, unknown>;
  outputs: string[];
  clientId: string | null;
  /** Insertion order: ties on `number` run first-in first-out. */
  seq: number;
}

/** ComfyUI's 5-tuple queue/history record. */
export type QueueTuple = [number, string, Prompt, Record<string, unknown>, string[]];

export interface HistoryStatus {
  status_str: 'success' | 'error';
  completed: boolean;
  messages: Array<[string, unknown]>;
}

/** One history entry, field for field ComfyUI's. */
export interface HistoryEntry {
  prompt: QueueTuple;
  outputs: Record<string, UiOutput>;
  status: HistoryStatus;
  meta: Record<string, unknown>;
}

export type JobState = 'pending' | 'running' | 'done' | 'failed' | 'unknown';

/** Text recorded for a prompt that was running when the server died. */
export const CRASH_MESSAGE =
  'The server stopped while this prompt was running (crash or kill). It was not re-run automatically, because a ' +
  'prompt that crashed the server could crash it again on every start; queue it again to retry.';

export function toTuple(item: QueueItem): QueueTuple {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}

interface QueueRow {
  prompt_id: string;
  seq: number;
  number: number;
  prompt: string;
  exec_prompt: string;
  extra_data: string;
  outputs: string;
  client_id: string | null;
  state: string;
}

function rowToItem(row: QueueRow): QueueItem {
  return {
    promptId: row.prompt_id,
    seq: row.seq,
    number: row.number,
    prompt: JSON.parse(row.prompt),
    execPrompt: JSON.parse(row.exec_prompt),
    extraData: JSON.parse(row.extra_data),
    outputs: JSON.parse(row.outputs),
    clientId: row.client_id,
  };
}

/** What memory keeps of a pending prompt: enough to order the queue and answer by id. */
type PendingKey = Pick<QueueItem, 'promptId' | 'number' | 'seq'>;

function compareItems(a: PendingKey, b: PendingKey): number {
  return a.number - b.number || a.seq - b.seq;
}

/** SQLite-backed queue and capped history for one data dir. */
export class QueueStore {
  private readonly db: Database.Database;
  private readonly pendingItems: PendingKey[] = [];
  private readonly pendingIds = new Set<string>();
  private runningItem: QueueItem | null = null;
  private historyCount = 0;
  private seq = 0;
  private counter = 0;
  private readonly stmts;
  private readonly insertWithCounter: (row: Record<string, unknown>) => void;

  /** Opens (creating if needed) the database file; throws if SQLite cannot open it. */
  constructor(
    file: string,
    private readonly maxHistory: number,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (kill -9); only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS queue (
        prompt_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, number REAL NOT NULL, prompt TEXT NOT NULL,
        exec_prompt TEXT NOT NULL, extra_data TEXT NOT NULL, outputs TEXT NOT NULL, client_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running')));
      CREATE TABLE IF NOT EXISTS history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, prompt_id TEXT NOT NULL UNIQUE, entry TEXT NOT NULL,
        status_str TEXT NOT NULL, completed_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.stmts = {
      insert: this.db.prepare(
        `INSERT INTO queue (prompt_id, seq, number, prompt, exec_prompt, extra_data, outputs, client_id, state)
         VALUES (@prompt_id, @seq, @number, @prompt, @exec_prompt, @extra_data, @outputs, @client_id, 'pending')`,
      ),
      setState: this.db.prepare('UPDATE queue SET state = ? WHERE prompt_id = ?'),
      one: this.db.prepare('SELECT * FROM queue WHERE prompt_id = ?'),
      allPending: this.db.prepare("SELECT * FROM queue WHERE state = 'pending'"),
      setFront: this.db.prepare("UPDATE queue SET state = 'pending', number = ? WHERE prompt_id = ?"),
      remove: this.db.prepare('DELETE FROM queue WHERE prompt_id = ?'),
      removePending: this.db.prepare("DELETE FROM queue WHERE state = 'pending'"),
      addHistory: this.db.prepare('INSERT OR REPLACE INTO history (prompt_id, entry, status_str, completed_at) VALUES (?, ?, ?, ?)'),
      trimHistory: this.db.prepare('DELETE FROM history WHERE seq IN (SELECT seq FROM history ORDER BY seq ASC LIMIT ?)'),
      historyOne: this.db.prepare('SELECT entry FROM history WHERE prompt_id = ?'),
      historyStatus: this.db.prepare('SELECT status_str FROM history WHERE prompt_id = ?'),
      historyPage: this.db.prepare('SELECT prompt_id, entry FROM history ORDER BY seq ASC LIMIT ? OFFSET ?'),
      historyDelete: this.db.prepare('DELETE FROM history WHERE prompt_id = ?'),
      historyClear: this.db.prepare('DELETE FROM history'),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
    this.insertWithCounter = this.db.transaction((row: Record<string, unknown>) => {
      this.stmts.insert.run(row);
      this.stmts.setMeta.run('counter', String(this.counter));
    });
    this.load();
  }

  private load(): void {
    const rows = this.db.prepare('SELECT prompt_id, seq, number, state FROM queue ORDER BY seq ASC').all() as QueueRow[];
    for (const row of rows) {
      if (row.state === 'pending') {
        this.pendingItems.push({ promptId: row.prompt_id, number: row.number, seq: row.seq });
        this.pendingIds.add(row.prompt_id);
      }
      this.seq = Math.max(this.seq, row.seq);
    }
    this.pendingItems.sort(compareItems);
    this.historyCount = (this.db.prepare('SELECT COUNT(*) AS n FROM history').get() as { n: number }).n;
    const saved = this.db.prepare("SELECT value FROM meta WHERE key = 'counter'").get() as { value: string } | undefined;
    this.counter = saved ? Number(saved.value) : 0;
  }

  /**
   * Moves prompts found `running` (the server died mid-run) into history as interrupted with CRASH_MESSAGE.
   * Returns their ids. Call once at start, before the worker runs.
   */
  recoverInterrupted(): string[] {
    const rows = this.db.prepare("SELECT * FROM queue WHERE state = 'running'").all() as QueueRow[];
    for (const row of rows) {
      const item = rowToItem(row);
      const timestamp = Date.now();
      this.finish(item, {
        prompt: toTuple(item),
        outputs: {},
        status: {
          status_str: 'error',
          completed: false,
          messages: [
            ['execution_interrupted', { prompt_id: item.promptId, node_id: null, node_type: null, executed: [], timestamp, reason: 'server_stopped' }],
            ['execution_error', { prompt_id: item.promptId, exception_message: CRASH_MESSAGE, exception_type: 'ServerStopped', timestamp }],
          ],
        },
        meta: { recovered_after_crash: true },
      });
    }
    return rows.map((r) => r.prompt_id);
  }

  /**
   * The number ComfyUI gives a new prompt: a running counter, negated for front insertion, unless the client
   * passed its own priority number.
   */
  assignNumber(front: boolean, number?: number): number {
    // Persisted with the next enqueue (same transaction), so accepting a prompt is one write, not two.
    const n = this.counter++;
    if (number !== undefined) return number;
    return front ? -n : n;
  }

  /** Adds a pending prompt; throws if the id is already queued, running or in history. */
  enqueue(item: Omit<QueueItem, 'seq'>): QueueItem {
    if (this.knows(item.promptId)) throw new Error(`prompt id ${item.promptId} is already in use`);
    const full: QueueItem = { ...item, seq: ++this.seq };
    this.insertWithCounter({
      prompt_id: full.promptId,
      seq: full.seq,
      number: full.number,
      prompt: JSON.stringify(full.prompt),
      exec_prompt: JSON.stringify(full.execPrompt),
      extra_data: JSON.stringify(full.extraData),
      outputs: JSON.stringify(full.outputs),
      client_id: full.clientId,
    });
    // Binary search keeps the mirror sorted without re-sorting a long queue on every insert.
    let lo = 0;
    let hi = this.pendingItems.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareItems(this.pendingItems[mid]!, full) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.pendingItems.splice(lo, 0, { promptId: full.promptId, number: full.number, seq: full.seq });
    this.pendingIds.add(full.promptId);
    return full;
  }

  /** True when the id is pending, running or in history. */
  knows(promptId: string): boolean {
    return this.pendingIds.has(promptId) || this.runningItem?.promptId === promptId || this.stmts.historyStatus.get(promptId) !== undefined;
  }

  /** Marks the first pending prompt running and returns it; null when the queue is empty. */
  takeNext(): QueueItem | null {
    if (this.runningItem) throw new Error('a prompt is already running');
    const key = this.pendingItems.shift();
    if (!key) return null;
    this.pendingIds.delete(key.promptId);
    const row = this.stmts.one.get(key.promptId) as QueueRow | undefined;
    if (!row) throw new Error(`queued prompt ${key.promptId} is missing from the database`);
    this.stmts.setState.run('running', key.promptId);
    this.runningItem = rowToItem(row);
    return this.runningItem;
  }

  /** Puts the running prompt back at the front of the queue (graceful shutdown checkpoint). */
  requeueRunning(): void {
    const item = this.runningItem;
    if (!item) return;
    const first = this.pendingItems[0];
    const number = first ? Math.min(item.number, first.number - 1) : item.number;
    this.stmts.setFront.run(number, item.promptId);
    this.runningItem = null;
    this.pendingItems.unshift({ promptId: item.promptId, number, seq: item.seq });
    this.pendingIds.add(item.promptId);
  }

  /** Atomically removes a prompt from the queue and writes its history entry, then trims history to its cap. */
  finish(item: QueueItem, entry: HistoryEntry): void {
    this.db.transaction(() => {
      this.stmts.remove.run(item.promptId);
      this.stmts.addHistory.run(item.promptId, JSON.stringify(entry), entry.status.status_str, Date.now());
      this.historyCount++;
      if (this.historyCount > this.maxHistory) {
        this.stmts.trimHistory.run(this.historyCount - this.maxHistory);
        this.historyCount = this.maxHistory;
      }
    })();
    if (this.runningItem?.promptId === item.promptId) this.runningItem = null;
  }

  get running(): QueueItem | null {
    return this.runningItem;
  }

  /** Pending prompts in execution order, read from the database. */
  pending(): QueueItem[] {
    const items = (this.stmts.allPending.all() as QueueRow[]).map(rowToItem);
    return items.sort(compareItems);
  }

  /** A pending prompt's place in the queue (0 runs next) and its number; null when it is not pending. */
  pendingPosition(promptId: string): { position: number; number: number } | null {
    if (!this.pendingIds.has(promptId)) return null;
    const position = this.pendingItems.findIndex((key) => key.promptId === promptId);
    return position < 0 ? null : { position, number: this.pendingItems[position]!.number };
  }

  get pendingCount(): number {
    return this.pendingItems.length;
  }

  /** Pending plus running: ComfyUI's queue_remaining. */
  get remaining(): number {
    return this.pendingItems.length + (this.runningItem ? 1 : 0);
  }

  /** Removes pending prompts by id (running ones are left alone); returns how many were removed. */
  deletePending(ids: string[]): number {
    let removed = 0;
    this.db.transaction(() => {
      for (const id of ids) {
        if (!this.pendingIds.has(id)) continue;
        this.stmts.remove.run(id);
        this.pendingIds.delete(id);
        const index = this.pendingItems.findIndex((i) => i.promptId === id);
        if (index >= 0) this.pendingItems.splice(index, 1);
        removed++;
      }
    })();
    return removed;
  }

  /** Removes every pending prompt; returns how many. */
  clearPending(): number {
    const n = this.pendingItems.length;
    this.stmts.removePending.run();
    this.pendingItems.length = 0;
    this.pendingIds.clear();
    return n;
  }

  /** Where a prompt id stands. */
  state(promptId: string): JobState {
    if (this.runningItem?.promptId === promptId) return 'running';
    if (this.pendingIds.has(promptId)) return 'pending';
    const row = this.stmts.historyStatus.get(promptId) as { status_str: string } | undefined;
    if (!row) return 'unknown';
    return row.status_str === 'success' ? 'done' : 'failed';
  }

  /** One history entry, or undefined. */
  historyEntry(promptId: string): HistoryEntry | undefined {
    const row = this.stmts.historyOne.get(promptId) as { entry: string } | undefined;
    return row ? (JSON.parse(row.entry) as HistoryEntry) : undefined;
  }

  /**
   * History oldest first, as ComfyUI pages it: with only max_items, the newest max_items; with an offset, that
   * slice of the chronological list.
   */
  history(maxItems?: number, offset?: number): Record<string, HistoryEntry> {
    const total = this.historyCount;
    let start = offset ?? -1;
    const limit = maxItems ?? total;
    if (start < 0) start = Math.max(0, total - limit);
    const rows = this.stmts.historyPage.all(limit, start) as Array<{ prompt_id: string; entry: string }>;
    const out: Record<string, HistoryEntry> = {};
    for (const row of rows) out[row.prompt_id] = JSON.parse(row.entry) as HistoryEntry;
    return out;
  }

  get historySize(): number {
    return this.historyCount;
  }

  /** Deletes history entries by id. */
  deleteHistory(ids: string[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.historyCount -= this.stmts.historyDelete.run(id).changes;
    })();
  }

  clearHistory(): void {
    this.stmts.historyClear.run();
    this.historyCount = 0;
  }

  /** Closes the database (a checkpoint of the WAL happens here). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
