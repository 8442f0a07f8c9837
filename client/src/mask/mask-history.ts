// Undo and redo inside the mask editor: a snapshot of the coverage before every stroke, clear or invert. The
// editor's own history, separate from the graph's (one Save is one graph undo step), and bounded in bytes so a
// large photo keeps only as many steps as fit.
import type { MaskPlane } from './mask-pixels.js';

/** Bytes of snapshots kept at most (a 451x300 mask is 135 KB, so about 60 steps; a 4096x4096 one, 4). */
const BUDGET_BYTES = 64 * 1024 * 1024;
const MAX_STEPS = 60;

export class MaskHistory {
  private readonly undoStack: Uint8Array[] = [];
  private readonly redoStack: Uint8Array[] = [];
  private readonly limit: number;

  constructor(private readonly mask: MaskPlane) {
    this.limit = Math.max(2, Math.min(MAX_STEPS, Math.floor(BUDGET_BYTES / Math.max(1, mask.values.length))));
  }

  /** Remembers the mask as it is now, before a change; a new change forgets what was undone. */
  checkpoint(): void {
    this.undoStack.push(this.mask.values.slice());
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack.length = 0;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Puts the mask back to before the last change; false when there is none. */
  undo(): boolean {
    return this.swap(this.undoStack, this.redoStack);
  }

  /** Re-applies the last undone change; false when there is none. */
  redo(): boolean {
    return this.swap(this.redoStack, this.undoStack);
  }

  private swap(from: Uint8Array[], to: Uint8Array[]): boolean {
    const state = from.pop();
    if (!state) return false;
    to.push(this.mask.values.slice());
    this.mask.values.set(state);
    return true;
  }
}
