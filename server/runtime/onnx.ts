// The one adapter over onnxruntime-node: nothing else in the product imports it. It picks the execution provider,
// loads models by path (so ONNX external data next to a model resolves), caches sessions under a memory budget,
// and moves float32/int64 tensors in and out, counting the time spent inside onnxruntime. Sessions run on a worker
// thread (onnx-worker.mjs), so inference never blocks the server's event loop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { messageOf, ModelSession } from './model-session.js';
import { OnnxThread } from './onnx-thread.js';
import { SessionCache, type SessionCacheStats } from './session-cache.js';

export { formatShape, ModelSession, type DenoiseResult, type DenoiseWatch } from './model-session.js';

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


function osTotalMemory(): number {
  return os.totalmem();
}
