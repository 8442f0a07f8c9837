// The single worker: runs queued prompts one at a time in queue order, publishes their events, and moves each
// to history in one transaction. Interrupts target the running prompt only (an interrupt while idle is a no-op,
// so it can never leak into the next prompt).
import type { ExecuteOptions, ExecutionResult, Prompt } from '../engine/api.js';
import type { ExecutionEvent } from '../engine/events.js';
import type { EventBus } from '../realtime/event-bus.js';
import { toTuple, type HistoryEntry, type QueueItem, type QueueStore } from './queue-store.js';

/** Runs one prompt; the engine's Executor.execute, or a test double. */
export type ExecuteFn = (prompt: Prompt, options: ExecuteOptions) => Promise<ExecutionResult>;

/** Thrown into a running prompt when the server shuts down (the prompt is requeued, not failed). */
export class ShutdownInterrupt extends Error {
  override name = 'ShutdownInterrupt';
}

export class QueueWorker {
  private controller: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private shutdownRequeue = false;

  constructor(
    private readonly store: QueueStore,
    private readonly execute: ExecuteFn,
    private readonly bus: EventBus,
  ) {}

  /** Starts the loop if it is idle; call after anything is queued. */
  kick(): void {
    if (this.loop || this.stopping) return;
    // setImmediate: the POST /prompt answer leaves before the prompt's first event.
    this.loop = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .catch((error: unknown) => {
        // The store failed (disk full, say): log it and try again shortly rather than crash or stall forever.
        console.error('the queue worker failed; retrying in 1 s:', error);
        return new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
      });
    void this.loop.then(() => {
      this.loop = null;
      if (!this.stopping && this.store.pendingCount > 0) this.kick();
    });
  }

  /** The id of the running prompt, or null. */
  get runningId(): string | null {
    return this.store.running?.promptId ?? null;
  }

  /** Interrupts the running prompt (only if it is `promptId`, when given); returns whether anything was interrupted. */
  interrupt(promptId?: string): boolean {
    const running = this.store.running;
    if (!running || !this.controller) return false;
    if (promptId !== undefined && running.promptId !== promptId) return false;
    this.controller.abort(new Error('Interrupted by the user'));
    return true;
  }

  private async drain(): Promise<void> {
    while (!this.stopping) {
      const item = this.store.takeNext();
      if (!item) return;
      this.bus.queueChanged();
      await this.runOne(item);
    }
  }

  private async runOne(item: QueueItem): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    let result: ExecutionResult;
    const emit = (event: ExecutionEvent): void => {
      if (this.shutdownRequeue) return;
      // ComfyUI broadcasts interruptions; everything else goes to the submitting client (or all, without one).
      this.bus.publish(event, event.type === 'execution_interrupted' ? null : item.clientId);
    };
    try {
      result = await this.execute(item.execPrompt, {
        promptId: item.promptId,
        outputs: item.outputs,
        extraData: item.extraData,
        signal: controller.signal,
        emit,
      });
    } catch (error) {
      result = this.crashResult(item, error, emit);
    } finally {
      this.controller = null;
    }
    if (this.shutdownRequeue) {
      this.store.requeueRunning();
      return;
    }
    this.store.finish(item, this.historyEntry(item, result));
    this.bus.queueChanged();
  }

  /** The executor itself threw (a bug, not a node failure): record it as an error so the queue moves on. */
  private crashResult(item: QueueItem, error: unknown, emit: (e: ExecutionEvent) => void): ExecutionResult {
    console.error(`prompt ${item.promptId} failed inside the executor:`, error);
    const timestamp = Date.now();
    const data = {
      prompt_id: item.promptId,
      node_id: '',
      node_type: '',
      executed: [],
      exception_message: `The server failed while running this prompt: ${(error as Error)?.message ?? String(error)}`,
      exception_type: 'ServerError',
      traceback: [],
      current_inputs: {},
      current_outputs: {},
      timestamp,
    };
    emit({ type: 'execution_error', data });
    emit({ type: 'executing', data: { node: null, prompt_id: item.promptId } });
    return { status: 'error', outputs: {}, executed: [], cached: [], failures: [], failedOutputs: {}, messages: [['execution_error', data]] };
  }

  private historyEntry(item: QueueItem, result: ExecutionResult): HistoryEntry {
    const meta: Record<string, unknown> = {};
    for (const nodeId of Object.keys(result.outputs)) {
      meta[nodeId] = { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId };
    }
    return {
      prompt: toTuple(item),
      outputs: result.outputs,
      status: {
        status_str: result.status === 'success' ? 'success' : 'error',
        completed: result.status === 'success',
        messages: result.messages,
      },
      meta,
    };
  }

  /**
   * Stops taking prompts; waits up to `graceMs` for the running one, then interrupts it and puts it back at the
   * front of the queue, so the next start runs it again.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const loop = this.loop;
    if (!loop) return;
    const finished = await Promise.race([loop.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref())]);
    if (!finished && this.controller) {
      this.shutdownRequeue = true;
      this.controller.abort(new ShutdownInterrupt('The server is shutting down'));
      await loop;
    }
  }
}
