// Snapshot-based undo/redo (litegraph has none). The app calls `checkpoint` after every user gesture with the
// graph serialised; a snapshot equal to the current one (ignoring the viewport) is not a change and is dropped.

/** Serialised graph state; compared as text. */
export type Snapshot = string;

/** Drops fields that change without the user editing anything (viewport pan/zoom, revision counters). */
export function snapshotOf(workflow: unknown): Snapshot {
  return JSON.stringify(workflow, (key, value) => (key === 'ds' || key === 'revision' ? undefined : value));
}

/** The undo and redo stacks of one open workflow. */
export class UndoHistory {
  private readonly undoStack: Snapshot[] = [];
  private readonly redoStack: Snapshot[] = [];

  constructor(private current: Snapshot, private readonly limit = 100) {}

  /** Records a new state; returns true when it differs from the current one. */
  checkpoint(next: Snapshot): boolean {
    if (next === this.current) return false;
    this.undoStack.push(this.current);
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack.length = 0;
    this.current = next;
    return true;
  }

  /** Takes a change the editor made by itself into the current state: no undo step, redo kept. */
  absorb(state: Snapshot): void {
    this.current = state;
  }

  /** Resets the history to one state (after opening a workflow). */
  reset(state: Snapshot): void {
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.current = state;
  }

  /** The state to restore, or null when there is nothing to undo. */
  undo(): Snapshot | null {
    const previous = this.undoStack.pop();
    if (previous === undefined) return null;
    this.redoStack.push(this.current);
    this.current = previous;
    return previous;
  }

  /** The state to restore, or null when there is nothing to redo. */
  redo(): Snapshot | null {
    const next = this.redoStack.pop();
    if (next === undefined) return null;
    this.undoStack.push(this.current);
    this.current = next;
    return next;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  get state(): Snapshot {
    return this.current;
  }
}
