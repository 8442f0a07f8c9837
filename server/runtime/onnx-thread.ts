// The adapter's side of onnx-worker.mjs: one worker thread per runtime, started on first use, requests matched to
// answers by id. The worker only keeps the process alive while a request is in flight, so a CLI run exits when
// its work is done even if nobody closes the runtime.
import { Worker } from 'node:worker_threads';

interface Pending {
  worker: Worker;
  resolve: (answer: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  onProgress?: (progress: Record<string, unknown>) => void;
}

/** For a long request (a denoise loop): where its progress messages go. */
export interface RequestWatch {
  onProgress?: (progress: Record<string, unknown>) => void;
}

export class OnnxThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /**
   * Sends one request and resolves with the worker's answer.
   * @throws Error with the worker's message when the request failed, or when the worker died meanwhile.
   */
  request(op: string, payload: Record<string, unknown>, transfer: ArrayBuffer[] = [], watch: RequestWatch = {}): Promise<Record<string, unknown>> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject, onProgress: watch.onProgress });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, op, ...payload }, transfer);
    });
  }

  /**
   * Stops the worker (its sessions with it) once it has answered what it was sent; a later request starts a
   * fresh one. Terminating the thread instead would cut into a run: onnxruntime's binding then throws in native
   * code and the whole process aborts (seen in CI). A worker that has not stopped after `graceMs` is terminated.
   */
  async close(graceMs = 30_000): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ id: 0, op: 'exit' });
    const fallback = setTimeout(() => void worker.terminate(), graceMs);
    fallback.unref();
    await exited;
    clearTimeout(fallback);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./onnx-worker.mjs', import.meta.url));
    worker.unref();
    worker.on('message', (answer: { id: number; error?: string; progress?: Record<string, unknown> } & Record<string, unknown>) => {
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      if (answer.progress !== undefined) {
        waiting.onProgress?.(answer.progress);
        return;
      }
      this.pending.delete(answer.id);
      // A worker being closed stays referenced until it has stopped, so close() is awaited to the end.
      if (this.pending.size === 0 && this.worker === worker) worker.unref();
      if (answer.error !== undefined) waiting.reject(new Error(answer.error));
      else waiting.resolve(answer);
    });
    worker.on('error', (error) => this.fail(worker, `the onnxruntime thread failed: ${error.message}`));
    worker.on('exit', (code) => this.fail(worker, `the onnxruntime thread stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private fail(worker: Worker, message: string): void {
    if (this.worker === worker) this.worker = null;
    for (const [id, waiting] of this.pending) {
      if (waiting.worker !== worker) continue;
      this.pending.delete(id);
      waiting.reject(new Error(message));
    }
  }
}
