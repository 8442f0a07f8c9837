// The one adapter over onnxruntime-node: nothing else in the product imports it. It picks the execution provider,
// loads models by path (so ONNX external data next to a model resolves), caches sessions under a memory budget,
// and moves float32/int64 tensors in and out, counting the time spent inside onnxruntime. Sessions run on a worker
// thread (onnx-worker.mjs), so inference never blocks the server's event loop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import type { FloatTensor } from '../../nodes/kontext/math/tensor.js';
import type { LoopRequest } from './denoise-loop.js';
import { OnnxThread } from './onnx-thread.js';
import { SessionCache, type SessionCacheStats } from './session-cache.js';

/** Which accelerator to use: `auto` tries cuda, then webgpu, then cpu. */
export type DeviceChoice = 'auto' | 'cpu' | 'cuda' | 'webgpu';
/** An execution provider the adapter can run on. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/** Settings of the runtime (from the server's config or the CLI's flags). */
export interface OnnxRuntimeOptions {
  device?: DeviceChoice;
  /** Threads inside one operator; default: onnxruntime's choice (the physical cores). */
  intraOpThreads?: number;
  /** Threads across operators; only used when executionMode is 'parallel'. */
  interOpThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Session cache budget in bytes (estimated from file sizes); default: half the machine's memory. */
  memoryBudgetBytes?: number;
  /** Where fallback notices and evictions are reported; default: console.warn. */
  log?: (message: string) => void;
}

/** A tensor crossing the adapter: float32 or int64 data with its dims. */
export interface TensorValue {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}

/** An input or output as the session declares it; symbolic dims are strings. */
export interface IoInfo {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

/** Time spent inside onnxruntime's run calls. */
export interface RunTimings {
  runs: number;
  onnxMs: number;
}

/** Why a provider was not used, for logs and the CLI. */
export interface ProviderAttempt {
  provider: ExecutionProvider;
  ok: boolean;
  reason?: string;
}

const PROVIDER_ORDER: readonly ExecutionProvider[] = ['cuda', 'webgpu', 'cpu'];

// A 76-byte ONNX graph (one Identity on float32 [1]) to probe providers without loading a real model; written
// with the onnx Python helper.
const PROBE_MODEL = Buffer.from('CAcSBXByb2JlOjsKEAoBeBIBeSIISWRlbnRpdHkSBXByb2JlWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ==', 'base64');

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

/** The runtime: provider choice, session cache and timing counters. */
export class OnnxRuntime {
  readonly device: DeviceChoice;
  private readonly options: OnnxRuntimeOptions;
  private readonly cache: SessionCache<ModelSession>;
  private readonly log: (message: string) => void;
  private provider: Promise<ExecutionProvider> | null = null;
  private attempts: ProviderAttempt[] = [];
  private timings: RunTimings = { runs: 0, onnxMs: 0 };
  private perModel = new Map<string, RunTimings>();
  /** The worker thread every session of this runtime lives on. */
  private readonly thread = new OnnxThread();

  /** @throws Error when the device is not one of auto, cpu, cuda, webgpu. */
  constructor(options: OnnxRuntimeOptions = {}) {
    this.device = options.device ?? 'auto';
    if (!DEVICE_CHOICES.includes(this.device)) throw new Error(`unknown device '${String(this.device)}': use one of ${DEVICE_CHOICES.join(', ')}`);
    this.options = options;
    this.log = options.log ?? ((message) => console.warn(`[runtime] ${message}`));
    const budget = options.memoryBudgetBytes ?? Math.floor(osTotalMemory() / 2);
    this.cache = new SessionCache<ModelSession>(budget, (key, bytes) =>
      this.log(`released ${path.basename(key)} (${(bytes / 2 ** 20).toFixed(1)} MiB) to stay within the model memory budget`));
  }

  /**
   * The provider sessions run on, probing once: `auto` falls back cuda -> webgpu -> cpu and logs why.
   * @throws Error when an explicitly chosen provider is unavailable, saying why and what to install.
   */
  resolveProvider(): Promise<ExecutionProvider> {
    this.provider ??= this.probe().catch((error) => {
      this.provider = null;
      throw error;
    });
    return this.provider;
  }

  /** The providers tried so far and why each one was or was not used. */
  providerAttempts(): readonly ProviderAttempt[] {
    return this.attempts;
  }

  /**
   * A session for the model at `modelPath`, from the cache or loaded by path (external data resolves beside it).
   * @throws Error naming the file when it is missing or onnxruntime cannot load it.
   */
  async load(modelPath: string): Promise<ModelSession> {
    const absolute = path.resolve(modelPath);
    // A cached session answers without touching the disk: the denoise loop asks once per step.
    if (this.cache.has(absolute)) return this.cache.acquire(absolute, 0, () => Promise.reject(new Error('unreachable')));
    if (!fs.existsSync(absolute)) throw new Error(`model file not found: ${absolute}`);
    const provider = await this.resolveProvider();
    return this.cache.acquire(absolute, estimateModelBytes(absolute), async () => {
      try {
        const created = await this.thread.request('create', { model: absolute, options: this.sessionOptions(provider) });
        return new ModelSession(absolute, provider, this.thread, created.sessionId as number, created.inputs as IoInfo[], created.outputs as IoInfo[], this);
      } catch (error) {
        throw new Error(`onnxruntime could not load ${absolute} on ${provider}: ${messageOf(error)}`);
      }
    });
  }

  /** Releases one model's session (after its running inferences), or every session. */
  async release(modelPath?: string): Promise<void> {
    if (modelPath === undefined) {
      await this.cache.releaseAll();
      // Nothing left to run: stop the thread (a later load starts a fresh one).
      await this.thread.close();
    } else await this.cache.release(path.resolve(modelPath));
  }

  /** Changes the session memory budget, evicting down to it. */
  setMemoryBudget(bytes: number): Promise<void> {
    return this.cache.setBudget(bytes);
  }

  cacheStats(): SessionCacheStats {
    return this.cache.stats();
  }

  loadedModels(): string[] {
    return this.cache.keys();
  }

  /** Cumulative time inside onnxruntime since the last reset: all models, or one model file's runs. */
  runTimings(modelPath?: string): RunTimings {
    if (modelPath === undefined) return { ...this.timings };
    return { ...(this.perModel.get(path.resolve(modelPath)) ?? { runs: 0, onnxMs: 0 }) };
  }

  resetRunTimings(): void {
    this.timings = { runs: 0, onnxMs: 0 };
    this.perModel.clear();
  }

  /** @internal used by ModelSession */
  track<R>(modelPath: string, run: () => Promise<R>): Promise<R> {
    return this.cache.withEntry(modelPath, run);
  }

  /** @internal used by ModelSession */
  recordRun(modelPath: string, ms: number): void {
    this.timings.runs++;
    this.timings.onnxMs += ms;
    const model = this.perModel.get(modelPath) ?? { runs: 0, onnxMs: 0 };
    model.runs++;
    model.onnxMs += ms;
    this.perModel.set(modelPath, model);
  }

  private sessionOptions(provider: ExecutionProvider): ort.InferenceSession.SessionOptions {
    const o = this.options;
    return {
      executionProviders: [provider],
      graphOptimizationLevel: o.graphOptimization ?? 'all',
      executionMode: o.executionMode ?? 'sequential',
      ...(o.intraOpThreads !== undefined ? { intraOpNumThreads: o.intraOpThreads } : {}),
      ...(o.interOpThreads !== undefined ? { interOpNumThreads: o.interOpThreads } : {}),
      // warnings only: onnxruntime's info lines would flood the server log
      logSeverityLevel: 3,
      // Each session has its own intra-op thread pool, whose threads spin for a while after a run. The next
      // session's run (a decode after the last denoise step, a preview beside it) then fights spinning threads
      // for the cores: on 2 cores a strength-only edit took 250 ms instead of 208 ms. Spinning within a run,
      // where it pays, is kept.
      extra: { session: { force_spinning_stop: '1' } },
    };
  }

  private async probe(): Promise<ExecutionProvider> {
    const candidates = this.device === 'auto' ? PROVIDER_ORDER : [this.device];
    this.attempts = [];
    for (const provider of candidates) {
      const reason = await tryProvider(this.thread, provider);
      this.attempts.push(reason === null ? { provider, ok: true } : { provider, ok: false, reason });
      if (reason === null) {
        if (this.device === 'auto' && provider !== PROVIDER_ORDER[0]) {
          const skipped = this.attempts.filter((a) => !a.ok).map((a) => `${a.provider}: ${a.reason}`).join('; ');
          this.log(`device auto: using ${provider} (${skipped})`);
        }
        return provider;
      }
      if (this.device !== 'auto') throw new Error(`device '${provider}' is not available: ${reason}`);
    }
    throw new Error(`no execution provider works: ${this.attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')}`);
  }
}

/** Which providers this onnxruntime-node build knows and whether they ship inside the npm package. */
export function supportedBackends(): Array<{ name: string; bundled: boolean }> {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

/** Null when a session runs on `provider`, else a sentence saying why not and what would help. */
async function tryProvider(thread: OnnxThread, provider: ExecutionProvider): Promise<string | null> {
  const known = supportedBackends().find((b) => b.name === provider);
  if (!known) return `this onnxruntime-node build has no ${provider} provider`;
  if (!known.bundled && !providerLibraryPresent(provider)) {
    // Trying would only make onnxruntime print a load failure to stderr; say what is missing instead.
    return explainProviderFailure(provider, 'the provider library is not installed', false);
  }
  if (provider === 'webgpu' && !vulkanLoaderPresent()) {
    // Without the Vulkan loader Dawn prints a native error trace to stderr before failing: say it plainly instead.
    return 'WebGPU needs the Vulkan loader (libvulkan.so.1), which this system does not have';
  }
  try {
    const created = await thread.request('create', { model: new Uint8Array(PROBE_MODEL), options: { executionProviders: [provider], logSeverityLevel: 4 } });
    await thread.request('run', { sessionId: created.sessionId, feeds: { x: { data: new Float32Array([1]), dims: [1] } } });
    await thread.request('release', { sessionId: created.sessionId });
    return null;
  } catch (error) {
    return explainProviderFailure(provider, messageOf(error), known.bundled);
  }
}

/**
 * Whether the Vulkan loader can be found on Linux (LD_LIBRARY_PATH, then the dynamic linker's cache); elsewhere,
 * or where the cache is unreadable, answers true so that the provider itself is asked.
 */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((dir) => fs.existsSync(path.join(dir, 'libvulkan.so.1')))) return true;
  try {
    return fs.readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return true;
  }
}

/** Whether onnxruntime-node's install script put the provider's shared library beside the binding. */
function providerLibraryPresent(provider: ExecutionProvider): boolean {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  const binDir = path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
  const file = process.platform === 'win32' ? `onnxruntime_providers_${provider}.dll` : `libonnxruntime_providers_${provider}.so`;
  return fs.existsSync(path.join(binDir, file));
}

function explainProviderFailure(provider: ExecutionProvider, message: string, bundled: boolean): string {
  const firstLine = message.split('\n')[0]!.replace(/^.*?(Failed|failed)/, '$1').trim();
  if (provider === 'cuda') {
    const hint = bundled ? '' : ' (the CUDA provider is not in the npm package: run `npm install --onnxruntime-node-install=cuda12` on a machine with CUDA 12 and internet)';
    return `CUDA provider could not start: ${firstLine}${hint}`;
  }
  if (provider === 'webgpu') {
    const noAdapter = /adapter/i.test(message);
    return noAdapter
      ? 'WebGPU found no GPU adapter (it runs on Vulkan: a GPU with a Vulkan driver and libvulkan.so.1 are needed)'
      : `WebGPU provider could not start: ${firstLine}`;
  }
  return `CPU provider could not start: ${firstLine}`;
}

/** Model file size plus its external-data files (siblings named after the model: `x.onnx.data`, `x.onnx_data`, `x.data`). */
export function estimateModelBytes(modelPath: string): number {
  const dir = path.dirname(modelPath);
  const base = path.basename(modelPath);
  const stem = base.replace(/\.onnx$/, '');
  let bytes = fs.statSync(modelPath).size;
  for (const name of fs.readdirSync(dir)) {
    if (name === base) continue;
    if (name.startsWith(`${base}.`) || name.startsWith(`${base}_`) || name === `${stem}.data` || name.startsWith(`${stem}.onnx_data`)) {
      bytes += fs.statSync(path.join(dir, name)).size;
    }
  }
  return bytes;
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function osTotalMemory(): number {
  return os.totalmem();
}
