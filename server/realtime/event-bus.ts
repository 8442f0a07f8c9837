// The one event stream the executor and the queue feed, fanned out to socket.io and the ComfyUI /ws bridge.
import type { ServerEvent } from '../engine/events.js';

/** A listener receives each event with its target client id (null: every client). */
export type BusListener = (event: ServerEvent, target: string | null) => void;

/** Synchronous fan-out: every transport sees events in the order they were published. */
export class EventBus {
  private readonly listeners = new Set<BusListener>();
  private statusScheduled = false;
  private statusSource: (() => number) | null = null;

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends an event to one client id, or to all when target is null. A failing listener does not stop others. */
  publish(event: ServerEvent, target: string | null = null): void {
    for (const listener of this.listeners) {
      try {
        listener(event, target);
      } catch (error) {
        console.error('event listener failed:', error);
      }
    }
  }

  /** Where queue_remaining comes from for status broadcasts. */
  setQueueSource(remaining: () => number): void {
    this.statusSource = remaining;
  }

  /**
   * Broadcasts `status` after the current turn of the event loop. Changes within one turn (a burst of submissions)
   * share one broadcast carrying the final count, so a thousand submissions do not mean a thousand broadcasts to
   * every client, yet every change is followed by a status that reflects it.
   */
  queueChanged(): void {
    if (this.statusScheduled) return;
    this.statusScheduled = true;
    setImmediate(() => {
      this.statusScheduled = false;
      this.publish({ type: 'status', data: { status: { exec_info: { queue_remaining: this.statusSource?.() ?? 0 } } } });
    });
  }
}
