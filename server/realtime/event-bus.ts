// The one event stream the executor and the queue feed, fanned out to socket.io and the ComfyUI /ws bridge.
import type { ServerEvent } from '../engine/events.js';

/** Minimum spacing of status broadcasts, ms. */
export const STATUS_INTERVAL_MS = 20;

/** A listener receives each event with its target client id (null: every client). */
export type BusListener = (event: ServerEvent, target: string | null) => void;

/** Synchronous fan-out: every transport sees events in the order they were published. */
export class EventBus {
  private readonly listeners = new Set<BusListener>();
  private statusTimer: NodeJS.Timeout | null = null;
  private lastStatusAt = 0;
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
   * Broadcasts `status` soon after a queue change: at most one broadcast per STATUS_INTERVAL_MS, always carrying
   * the count at send time, and always one after the last change. A burst of a thousand submissions is then a
   * few dozen broadcasts to every client instead of a thousand, yet every change is followed by a status that
   * reflects it (within the interval).
   */
  queueChanged(): void {
    if (this.statusTimer) return;
    const wait = Math.max(0, this.lastStatusAt + STATUS_INTERVAL_MS - Date.now());
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.lastStatusAt = Date.now();
      this.publish({ type: 'status', data: { status: { exec_info: { queue_remaining: this.statusSource?.() ?? 0 } } } });
    }, wait);
  }

  /** Cancels a pending status broadcast (server shutdown). */
  close(): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
  }
}
