// The "live" strength slider: moving it queues a run at the front of the queue, and a newer move supersedes a live
// run that has not started yet, so the preview follows the slider instead of replaying every position it passed.
// The server's cache keeps encodings, so each live run only re-runs Projector, Denoise, Decode and the outputs.
import type { LGraphNode } from '../litegraph-adapter.js';

/** What live strength needs from the app. */
export interface LiveHost {
  /** Queues the current graph at the front; resolves with the prompt id, or null if it was rejected. */
  queueFront(): Promise<string | null>;
  /** Removes a pending prompt from the server queue. */
  cancelPending(promptId: string): Promise<void>;
}

/** Drives live runs for one editor. */
export class LiveStrength {
  enabled = false;
  /** A live run queued and not yet started. */
  private pendingId?: string;
  private inFlight = false;
  private again = false;
  private timer?: ReturnType<typeof setTimeout>;
  /** Live runs queued so far (tests and the status line read it). */
  queued = 0;

  constructor(private readonly host: LiveHost, private readonly delayMs = 80) {}

  /**
   * Called on every strength change. Throttled rather than debounced: during a long drag a run still goes out every
   * `delayMs`, so the preview follows the slider instead of waiting for it to stop; moves in between coalesce.
   */
  changed(_node: LGraphNode): void {
    if (!this.enabled || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.fire();
    }, this.delayMs);
  }

  /** The server started a prompt: a live run that started is no longer pending. */
  started(promptId: string): void {
    if (promptId === this.pendingId) this.pendingId = undefined;
  }

  private async fire(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      const previous = this.pendingId;
      const id = await this.host.queueFront();
      if (id) {
        this.queued += 1;
        this.pendingId = id;
        if (previous) await this.host.cancelPending(previous).catch(() => undefined);
      }
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        void this.fire();
      }
    }
  }
}
