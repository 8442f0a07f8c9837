// The high-level Kontext API the nodes call, the same code for every bundle: only the manifest differs.
// Text and image encoding, the strength projector, the batched denoise, and decoding, with timings that
// separate time inside onnxruntime from the rest.
import path from 'node:path';
import { fromScaledLatent, toScaledLatent } from '../../nodes/kontext/math/vae.js';
import { bundleResolutions, type Resolution } from '../../nodes/kontext/math/resolution.js';
import { concatBatch, repeatBatch, sliceBatch, type FloatTensor } from '../../nodes/kontext/math/tensor.js';
import { projectorStrength } from '../../nodes/kontext/math/strength-curve.js';
import { bundleFile, type BundleEntry, type BundleRegistry } from './bundles.js';
import { checkBundle, type BundleCheck, type CheckOptions } from './bundle-check.js';
import type { BundleManifest, FileRole } from './manifest-schema.js';
import type { ModelSession, OnnxRuntime, TensorValue } from './onnx.js';
import { BundleTokenizer } from './tokenizer.js';
import { denoiseInCalls, itemsPerCall, type DenoiseOptions, type DenoiseRequest, type DenoiseTiming } from './kontext-denoise.js';

export type { DenoiseOptions, DenoiseRequest, DenoiseTiming } from './kontext-denoise.js';

/** A loaded bundle: what nodes hold on the KONTEXT_MODEL socket. */
export interface KontextHandle {
  readonly name: string;
  readonly dir: string;
  readonly manifest: BundleManifest;
  readonly check: BundleCheck;
}

/** The encoded instruction. */
export interface TextEncoding {
  pooled: FloatTensor;
  embeds: FloatTensor;
  text: string;
  /** Words either text encoder's vocabulary lacks (read as its unknown token). */
  unknownWords: string[];
  /** Whether either text encoder had to cut the text to its length. */
  truncated: boolean;
}

/** Time per operation: wall clock and the part inside onnxruntime. */
export interface OperationTiming {
  calls: number;
  wallMs: number;
  onnxMs: number;
}

export type Operation = 'load' | 'encodeText' | 'encodeImage' | 'project' | 'denoise' | 'decode' | 'previewDecode';

export interface PipelineOptions {
  /** Files larger than this are not hashed when a bundle loads (the `models` check hashes everything). */
  loadHashMaxBytes?: number;
  /** Most pixels decoded or encoded in one VAE call (bounds memory for big batches). */
  vaePixelsPerCall?: number;
  /** Most tokens (items x tokens per item) in one transformer call of a denoise (bounds memory for big sweeps). */
  transformerTokensPerCall?: number;
}

interface LoadedBundle extends KontextHandle {
  tokenizers: { clip?: BundleTokenizer; t5?: BundleTokenizer };
}

/** Kontext inference over a registry of bundles on one runtime. */
export class KontextPipeline {
  private readonly handles = new Map<string, Promise<LoadedBundle>>();
  private timing: Record<Operation, OperationTiming> = emptyTimings();
  private lastDenoise: DenoiseTiming | null = null;

  constructor(
    readonly registry: BundleRegistry,
    readonly runtime: OnnxRuntime,
    private readonly options: PipelineOptions = {},
  ) {}

  /** Bundles with a valid manifest (the loader's choices). */
  bundleNames(): string[] {
    return this.registry.names();
  }

  /** Every bundle folder found, valid or not. */
  listBundles(): BundleEntry[] {
    return this.registry.list();
  }

  /**
   * The full check of a bundle (every file hashed, every graph loaded) for the `models` command.
   * @throws Error when no bundle has that name.
   */
  async checkBundle(name: string, options: CheckOptions = {}): Promise<BundleCheck> {
    const entry = this.registry.list().find((e) => e.name === name);
    if (!entry) this.registry.get(name);
    return checkBundle(entry!, this.runtime, options);
  }

  /**
   * Loads (or returns the loaded) bundle after checking its files and graphs.
   * @throws Error listing every problem found: missing or corrupt files, mismatched inputs.
   */
  loadBundle(name: string): Promise<KontextHandle> {
    let handle = this.handles.get(name);
    if (!handle) {
      handle = this.timed('load', () => this.open(name));
      this.handles.set(name, handle);
      handle.catch(() => this.handles.delete(name));
    }
    return handle;
  }

  /** Same as loadBundle (the nodes' name for it). */
  load(name: string): Promise<KontextHandle> {
    return this.loadBundle(name);
  }

  /** Forgets a loaded bundle and releases its sessions. */
  async unload(name: string): Promise<void> {
    const handle = this.handles.get(name);
    this.handles.delete(name);
    if (!handle) return;
    const loaded = await handle.catch(() => null);
    if (!loaded) return;
    for (const file of Object.values(loaded.manifest.files)) await this.runtime.release(path.join(loaded.dir, file));
  }

  hasStrengthControl(handle: KontextHandle): boolean {
    return handle.check.hasStrengthControl;
  }

  /** Why strength nodes refuse the bundle; null when it has strength control. */
  strengthControlMessage(handle: KontextHandle): string | null {
    return handle.check.strengthControlMessage;
  }

  hasPreviewDecoder(handle: KontextHandle): boolean {
    return handle.check.hasPreviewDecoder;
  }

  /** The sizes the preferred-resolution rule picks among for this bundle. */
  resolutions(handle: KontextHandle): Resolution[] {
    return bundleResolutions(handle.manifest.resolutions);
  }

  defaults(handle: KontextHandle): { steps: number; guidance: number; seed: number } {
    return { ...handle.manifest.defaults };
  }

  latentChannels(handle: KontextHandle): number {
    return handle.manifest.dims.latent_channels;
  }

  downscale(handle: KontextHandle): number {
    return handle.manifest.vae.downscale;
  }

  /**
   * Encodes an instruction with both text encoders: pooled [1,P] (CLIP role) and embeds [1,S,D] (T5 role).
   * @throws Error from the tokenizer or onnxruntime, naming the file.
   */
  encodeText(handle: KontextHandle, text: string): Promise<TextEncoding> {
    return this.timed('encodeText', async () => {
      const loaded = handle as LoadedBundle;
      const m = handle.manifest;
      loaded.tokenizers.clip ??= BundleTokenizer.load(bundleFile(handle, 'tokenizer_clip')!, m.tokenizers.clip);
      loaded.tokenizers.t5 ??= BundleTokenizer.load(bundleFile(handle, 'tokenizer_t5')!, m.tokenizers.t5);
      const clipIds = loaded.tokenizers.clip.encode(text);
      const t5Ids = loaded.tokenizers.t5.encode(text);
      const clip = await this.run(handle, 'text_encoder_clip', { input_ids: { data: clipIds, dims: [1, clipIds.length] } }, 'pooled');
      const t5 = await this.run(handle, 'text_encoder_t5', { input_ids: { data: t5Ids, dims: [1, t5Ids.length] } }, 'text_embeds');
      const { clip: clipTokenizer, t5: t5Tokenizer } = loaded.tokenizers;
      const unknownWords = [...new Set([...clipTokenizer.unknownWords(text), ...t5Tokenizer.unknownWords(text)])];
      return { pooled: clip, embeds: t5, text, unknownWords, truncated: clipTokenizer.truncates(text) || t5Tokenizer.truncates(text) };
    });
  }

  /**
   * VAE-encodes NCHW [-1,1] images to scaled latents [B,C,H/f,W/f].
   * @throws Error when the sides are not multiples of twice the VAE downscale.
   */
  encodeImage(handle: KontextHandle, image: FloatTensor): Promise<FloatTensor> {
    return this.timed('encodeImage', async () => {
      const [batch, channels, height, width] = image.dims as [number, number, number, number];
      const grid = handle.manifest.vae.downscale * 2;
      if (image.dims.length !== 4 || channels !== 3) throw new Error(`Encode Image needs [B,3,H,W] pixels, got [${image.dims.join(',')}]`);
      if (height % grid !== 0 || width % grid !== 0) {
        throw new Error(`image ${width}x${height} cannot be encoded by '${handle.name}': both sides must be multiples of ${grid} (scale it to the model's resolution first)`);
      }
      const means = await this.inChunks(batch, height * width, (start, end) =>
        this.run(handle, 'vae_encoder', { image: sliceBatch(image, start, end) }, null));
      return toScaledLatent(means, handle.manifest.vae);
    });
  }

  /**
   * The projector's modulation [K,M] for K strengths and the pooled text [1,P].
   * @throws Error when the bundle has no strength control, or a strength is not a finite number.
   */
  project(handle: KontextHandle, strengths: number[], pooled: FloatTensor): Promise<FloatTensor> {
    return this.timed('project', async () => {
      if (!handle.check.hasStrengthControl) throw new Error(handle.check.strengthControlMessage ?? `model bundle '${handle.name}' has no strength control`);
      if (strengths.length === 0) throw new Error('Projector needs at least one strength');
      const bad = strengths.find((s) => !Number.isFinite(s));
      if (bad !== undefined) throw new Error(`strength ${bad} is not a number between 0 and 1`);
      const k = strengths.length;
      const curve = handle.manifest.kontinuous.strength_curve;
      return this.run(handle, 'projector', {
        strength: { data: Float32Array.from(strengths, (s) => projectorStrength(s, curve)), dims: [k, 1] },
        pooled: pooled.dims[0] === k ? pooled : repeatBatch(pooled, k),
      }, 'modulation');
    });
  }

  /**
   * The batched Kontext denoise: K items (one per strength) from the same noise, returning scaled latents [K,C,h,w].
   * A batch larger than one transformer call takes (`itemsPerDenoiseCall`) runs in several calls, one after the
   * other, each from the same noise, so the result is the same; progress then counts the steps of every call.
   * @throws the signal's reason when interrupted (checked before every step); Error on bad sizes or a model
   * without strength control given a modulation.
   */
  denoise(handle: KontextHandle, request: DenoiseRequest, options: DenoiseOptions = {}): Promise<FloatTensor> {
    return this.timed('denoise', async () => {
      const f = handle.manifest.vae.downscale;
      const { width, height, modulation } = request;
      if (width % (2 * f) !== 0 || height % (2 * f) !== 0) throw new Error(`target size ${width}x${height} must be a multiple of ${2 * f} on both sides for '${handle.name}'`);
      if (!Number.isInteger(request.steps) || request.steps < 1) throw new Error(`steps must be a positive integer, got ${request.steps}`);
      if (request.guide && !Number.isFinite(request.guide.scale)) throw new Error(`cfg must be a number, got ${request.guide.scale}`);
      const transformer = await this.runtime.load(bundleFile(handle, 'transformer')!);
      if (modulation && !transformer.hasInput('modulation')) throw new Error(handle.check.strengthControlMessage ?? `model bundle '${handle.name}' has no strength control`);
      const { latent, timing } = await denoiseInCalls(handle.manifest, transformer, request, this.itemsPerDenoiseCall(handle, request), options);
      this.lastDenoise = timing;
      return latent;
    });
  }

  /** Items one transformer call takes for this request's size (see `itemsPerCall`). */
  itemsPerDenoiseCall(handle: KontextHandle, request: Pick<DenoiseRequest, 'width' | 'height' | 'refLatent' | 'text' | 'guide'>): number {
    return itemsPerCall(handle.manifest, request, this.options.transformerTokensPerCall);
  }

  /** Decodes scaled latents [B,C,h,w] to NCHW images in [-1,1]. @throws Error from onnxruntime, naming the file. */
  decode(handle: KontextHandle, latent: FloatTensor): Promise<FloatTensor> {
    return this.timed('decode', () => this.decodeWith(handle, 'vae_decoder', latent));
  }

  /** A quick preview of scaled latents: the bundle's preview decoder, or the full decoder when it has none. */
  previewDecode(handle: KontextHandle, latent: FloatTensor): Promise<FloatTensor> {
    const role: FileRole = handle.check.hasPreviewDecoder ? 'preview_decoder' : 'vae_decoder';
    return this.timed('previewDecode', () => this.decodeWith(handle, role, latent));
  }

  /** Cumulative timings per operation since the last reset, and the last denoise in detail. */
  timings(): { operations: Record<Operation, OperationTiming>; lastDenoise: DenoiseTiming | null; onnxTotalMs: number } {
    const operations = Object.fromEntries(Object.entries(this.timing).map(([k, v]) => [k, { ...v }])) as Record<Operation, OperationTiming>;
    return { operations, lastDenoise: this.lastDenoise && { ...this.lastDenoise, stepMs: [...this.lastDenoise.stepMs] }, onnxTotalMs: this.runtime.runTimings().onnxMs };
  }

  resetTimings(): void {
    this.timing = emptyTimings();
    this.lastDenoise = null;
    this.runtime.resetRunTimings();
  }

  private async open(name: string): Promise<LoadedBundle> {
    const entry = this.registry.get(name);
    const check = await checkBundle(entry, this.runtime, { hashMaxBytes: this.options.loadHashMaxBytes ?? 2 ** 31 });
    if (!check.ok) {
      throw new Error(`model bundle '${name}' (${entry.dir}) cannot be used: ${check.problems.map((p) => p.message).join('; ')}`);
    }
    return { name, dir: entry.dir, manifest: entry.manifest, check, tokenizers: {} };
  }

  private async decodeWith(handle: KontextHandle, role: FileRole, latent: FloatTensor): Promise<FloatTensor> {
    const [batch, channels, h, w] = latent.dims as [number, number, number, number];
    if (latent.dims.length !== 4 || channels !== handle.manifest.dims.latent_channels) {
      throw new Error(`Decode needs a latent [B,${handle.manifest.dims.latent_channels},h,w] from '${handle.name}', got [${latent.dims.join(',')}]`);
    }
    const unscaled = fromScaledLatent(latent, handle.manifest.vae);
    const f = handle.manifest.vae.downscale;
    return this.inChunks(batch, h * w * f * f, (start, end) => this.run(handle, role, { latent: sliceBatch(unscaled, start, end) }, null));
  }

  /** Runs `call` over batch slices small enough for the VAE pixel budget and concatenates the results. */
  private async inChunks(batch: number, pixelsPerItem: number, call: (start: number, end: number) => Promise<FloatTensor>): Promise<FloatTensor> {
    const perCall = Math.max(1, Math.floor((this.options.vaePixelsPerCall ?? 4 * 1024 * 1024) / pixelsPerItem));
    if (batch <= perCall) return call(0, batch);
    const parts: FloatTensor[] = [];
    for (let start = 0; start < batch; start += perCall) parts.push(await call(start, Math.min(batch, start + perCall)));
    return concatBatch(parts);
  }

  private async run(handle: KontextHandle, role: FileRole, feeds: Record<string, TensorValue>, output: string | null): Promise<FloatTensor> {
    const file = bundleFile(handle, role);
    if (!file) throw new Error(`model bundle '${handle.name}' has no ${role} file`);
    const session = await this.runtime.load(file);
    return pickOutput(await session.run(feeds), output, session);
  }

  private async timed<R>(operation: Operation, work: () => Promise<R>): Promise<R> {
    const onnxBefore = this.runtime.runTimings().onnxMs;
    const started = performance.now();
    try {
      return await work();
    } finally {
      const t = this.timing[operation];
      t.calls++;
      t.wallMs += performance.now() - started;
      t.onnxMs += this.runtime.runTimings().onnxMs - onnxBefore;
    }
  }
}

/** The named output (or the first, when the contract leaves it unnamed) as a float tensor. */
function pickOutput(results: Record<string, TensorValue>, name: string | null, session: ModelSession): FloatTensor {
  const key = name !== null && name in results ? name : session.outputs[0]?.name;
  const value = key === undefined ? undefined : results[key];
  if (!value || !(value.data instanceof Float32Array)) {
    throw new Error(`${path.basename(session.modelPath)} returned no float32 output${name ? ` '${name}'` : ''}`);
  }
  return { data: value.data, dims: value.dims };
}

function emptyTimings(): Record<Operation, OperationTiming> {
  const ops: Operation[] = ['load', 'encodeText', 'encodeImage', 'project', 'denoise', 'decode', 'previewDecode'];
  return Object.fromEntries(ops.map((op) => [op, { calls: 0, wallMs: 0, onnxMs: 0 }])) as Record<Operation, OperationTiming>;
}
