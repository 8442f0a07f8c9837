// A session on the onnxruntime thread, as the rest of the runtime sees it: its declared inputs and outputs, a run
// over plain typed arrays, and the Kontext sampling loop run next to it on that thread (one hand-over per denoise).
import path from 'node:path';
import type { FloatTensor } from '../../nodes/kontext/math/tensor.js';
import type { LoopRequest } from './denoise-loop.js';
import type { OnnxThread } from './onnx-thread.js';
import type { ExecutionProvider, IoInfo, OnnxRuntime, TensorValue } from './onnx.js';

/** A loaded model: its declared inputs/outputs and a run over plain typed arrays. */
export class ModelSession {
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];

  constructor(
    readonly modelPath: string,
    readonly provider: ExecutionProvider,
    private readonly thread: OnnxThread,
    private readonly sessionId: number,
    inputs: readonly IoInfo[],
    outputs: readonly IoInfo[],
    private readonly runtime: OnnxRuntime,
  ) {
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /** Whether the graph declares an input of this name (optional inputs such as `modulation`). */
  hasInput(name: string): boolean {
    return this.inputs.some((input) => input.name === name);
  }

  input(name: string): IoInfo | undefined {
    return this.inputs.find((input) => input.name === name);
  }

  output(name: string): IoInfo | undefined {
    return this.outputs.find((output) => output.name === name);
  }

  /** Frees the native session; called by the cache, never while a run is in flight. */
  async release(): Promise<void> {
    await this.thread.request('release', { sessionId: this.sessionId });
  }

  /**
   * Runs the graph. Inputs the graph does not declare are refused, as are missing ones.
   * @throws Error naming the model file and the offending input, or wrapping onnxruntime's message.
   */
  async run(feeds: Record<string, TensorValue>, outputNames?: readonly string[]): Promise<Record<string, TensorValue>> {
    const file = path.basename(this.modelPath);
    const { payload, transfer } = this.payloadOf(feeds, []);
    let answer: Record<string, unknown>;
    try {
      answer = await this.runtime.track(this.modelPath, () =>
        this.thread.request('run', { sessionId: this.sessionId, feeds: payload, ...(outputNames && { outputNames: [...outputNames] }) }, transfer));
    } catch (error) {
      throw new Error(`onnxruntime failed running ${file} on ${this.provider}: ${messageOf(error)}`);
    }
    // Time inside onnxruntime's run, measured on its thread: the hand-over to and from it counts as outside.
    this.runtime.recordRun(this.modelPath, answer.ms as number);
    const out: Record<string, TensorValue> = {};
    for (const [name, tensor] of Object.entries(answer.outputs as Record<string, { type: string; data: Float32Array | BigInt64Array; dims: number[] }>)) {
      if (tensor.type !== 'float32' && tensor.type !== 'int64') {
        throw new Error(`${file} output '${name}' is ${tensor.type}; the bundle contract wants float32 outputs`);
      }
      out[name] = { data: tensor.data, dims: tensor.dims };
    }
    return out;
  }

  /**
   * Runs the Kontext sampling loop on the onnxruntime thread, this session being the transformer: `feeds` are
   * the inputs that stay the same every step; the loop supplies hidden_states, timestep and img_ids. onStep is
   * called on this thread as each step's progress arrives (with the x0 preview when `previews`); the loop does
   * not wait for it.
   * @throws the signal's reason when aborted (the loop stops before its next step); Error naming the model file
   * and input for bad feeds, or wrapping onnxruntime's message.
   */
  async denoise(loop: LoopRequest, feeds: Record<string, TensorValue>, output: string, watch: DenoiseWatch = {}): Promise<DenoiseResult> {
    const file = path.basename(this.modelPath);
    const { signal, onStep, previewEveryMs = 0 } = watch;
    signal?.throwIfAborted();
    if (!this.output(output)) throw new Error(`${file} has no output named '${output}'`);
    const { payload, transfer } = this.payloadOf(feeds, LOOP_INPUTS);
    const ref = loop.reference.data;
    // A view is cloned with its whole buffer: send only the reference's own values.
    if (ref.byteOffset !== 0 || ref.byteLength !== ref.buffer.byteLength) loop = { ...loop, reference: { data: ref.slice(), dims: loop.reference.dims } };
    const mask = loop.editMask;
    if (mask && (mask.byteOffset !== 0 || mask.byteLength !== mask.buffer.byteLength)) loop = { ...loop, editMask: mask.slice() };
    // Shared with the loop on the onnxruntime thread: [0] cancel, [1] the last step whose progress arrived here.
    const control = new Int32Array(new SharedArrayBuffer(8));
    const previews = onStep ? { everyMs: previewEveryMs } : null;
    const cancel = () => {
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 1);
    };
    signal?.addEventListener('abort', cancel, { once: true });
    // onStep runs inside the thread's message handler, where a throw would be uncaught: it stops the loop instead
    // and the denoise fails with it.
    let stepFailure: { error: unknown } | null = null;
    let answer: Record<string, unknown>;
    try {
      answer = await this.runtime.track(this.modelPath, () =>
        this.thread.request('denoise', { sessionId: this.sessionId, loop, feeds: payload, output, previews, control }, transfer, {
          onProgress: (progress) => {
            Atomics.store(control, 1, progress.step as number);
            Atomics.notify(control, 1);
            // Steps the loop finished before an interrupt reached it are not reported.
            if (signal?.aborted || stepFailure) return;
            try {
              onStep?.(progress.step as number, progress.steps as number, progress.x0 as FloatTensor | undefined);
            } catch (error) {
              stepFailure = { error };
              cancel();
            }
          },
        }));
    } catch (error) {
      signal?.throwIfAborted();
      throw new Error(`onnxruntime failed running ${file} on ${this.provider}: ${messageOf(error)}`);
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    const onnxMs = answer.onnxMs as number[];
    for (const ms of onnxMs) this.runtime.recordRun(this.modelPath, ms);
    signal?.throwIfAborted();
    if (stepFailure) throw (stepFailure as { error: unknown }).error;
    if (answer.cancelled) throw new Error(`the denoise on ${file} was cancelled`);
    return { latent: answer.latent as FloatTensor, onnxMs, stepMs: answer.stepMs as number[] };
  }

  /**
   * The feeds as the worker takes them, checked against the graph's inputs; `supplied` names inputs the worker
   * fills in itself.
   * @throws Error naming the model file and the unknown, malformed or missing input.
   */
  private payloadOf(feeds: Record<string, TensorValue>, supplied: readonly string[]): { payload: Record<string, TensorValue>; transfer: ArrayBuffer[] } {
    const file = path.basename(this.modelPath);
    const payload: Record<string, TensorValue> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, value] of Object.entries(feeds)) {
      if (!this.hasInput(name)) throw new Error(`${file} has no input named '${name}' (it has: ${this.inputs.map((i) => i.name).join(', ')})`);
      if (supplied.includes(name)) throw new Error(`${file} input '${name}' is supplied by the denoise loop, not by the caller`);
      checkTensor(value, `${file} input '${name}'`);
      // A view into a larger buffer would be copied whole to the worker: send its own values only (and move that copy).
      const whole = value.data.byteOffset === 0 && value.data.byteLength === value.data.buffer.byteLength;
      const data = whole ? value.data : value.data.slice();
      if (!whole) transfer.push(data.buffer as ArrayBuffer);
      payload[name] = { data, dims: [...value.dims] };
    }
    for (const input of this.inputs) {
      if (!(input.name in payload) && !supplied.includes(input.name)) {
        throw new Error(`${file} needs input '${input.name}' ${formatShape(input.shape)}, which was not given`);
      }
    }
    return { payload, transfer };
  }
}

/** The transformer inputs the denoise loop fills in each step. */
const LOOP_INPUTS: readonly string[] = ['hidden_states', 'timestep', 'img_ids'];

/** Progress of a denoise on the onnxruntime thread, and a way to stop it. */
export interface DenoiseWatch {
  signal?: AbortSignal;
  /** After each step (1-based), with the predicted clean latent [K,C,h,w] (scaled) when that step made one. */
  onStep?: (step: number, steps: number, x0?: FloatTensor) => void;
  /**
   * x0 at the first step and then at most once per this many ms, timed on the onnxruntime thread (0: every
   * step). A prediction costs a pass over the batch, an allocation and a hand-over.
   */
  previewEveryMs?: number;
}

export interface DenoiseResult {
  /** The final scaled latent [K,C,h,w]. */
  latent: FloatTensor;
  /** Time inside onnxruntime per step, and each step's wall time, measured on the onnxruntime thread. */
  onnxMs: number[];
  stepMs: number[];
}

function checkTensor(value: TensorValue, what: string): void {
  if (!(value.data instanceof Float32Array) && !(value.data instanceof BigInt64Array)) throw new Error(`${what} must be a Float32Array or BigInt64Array`);
  const expected = value.dims.reduce((a, b) => a * b, 1);
  if (value.data.length !== expected) throw new Error(`${what} has ${value.data.length} values but dims [${value.dims.join(',')}]`);
}

/** `[batch,77]`-style text for messages. */
export function formatShape(shape: ReadonlyArray<number | string>): string {
  return `[${shape.join(',')}]`;
}

/** An error's message, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
