// The Kontext denoise on one transformer session: the feeds that stay the same every step, the sampling loop on the
// onnxruntime thread, and a batch split into calls that fit a token budget, each from the same noise.
import { textIds } from '../../nodes/kontext/math/position-ids.js';
import { concatBatch, repeatBatch, sliceBatch, type FloatTensor } from '../../nodes/kontext/math/tensor.js';
import type { BundleManifest } from './manifest-schema.js';
import type { ModelSession, TensorValue } from './onnx.js';

export interface DenoiseText {
  pooled: FloatTensor;
  embeds: FloatTensor;
}

export interface DenoiseRequest {
  text: DenoiseText;
  /** Scaled reference latent [1,C,h',w'] or one per item [K,C,h',w']. */
  refLatent: FloatTensor;
  /** Projector output [K,M]; null for a plain Kontext edit (zero modulation, LoRA off unless loraScale says). */
  modulation: FloatTensor | null;
  strengths: number[];
  seed: number | bigint;
  steps: number;
  guidance: number;
  width: number;
  height: number;
  loraScale?: number;
  /** Where to edit, one weight per target latent pixel (see LoopRequest.editMask); shared by every item. */
  editMask?: Float32Array;
  /**
   * Classifier-free guidance: each step also runs the negative instruction (the same sequence length as `text`) and
   * follows v_negative + scale (v_text - v_negative), at twice the transformer's work. Absent: one pass.
   */
  guide?: { negative: DenoiseText; scale: number };
}

export interface DenoiseOptions {
  signal?: AbortSignal;
  /**
   * After each step, as its progress arrives from the onnxruntime thread; the loop does not wait for it. x0 (the
   * predicted clean latent) comes with every step, or with those `previewEveryMs` lets through.
   */
  onStep?: (step: number, steps: number, x0?: FloatTensor) => void;
  /** Predict x0 at the first step and then at most once per this many ms (a small model's steps outrun any eye). */
  previewEveryMs?: number;
}

/** The last denoise in detail (benchmarks report time per step and the share outside onnxruntime). */
export interface DenoiseTiming {
  batch: number;
  steps: number;
  tokens: number;
  wallMs: number;
  /** Time inside the transformer's onnxruntime runs (other sessions running beside it are not counted). */
  onnxMs: number;
  /** Time spent in the caller's onStep on the main thread (the loop runs on meanwhile). */
  callbackMs: number;
  stepMs: number[];
}

/** 16,384 tokens: a 1024x1024 Kontext edit (8,704 tokens an item) runs one strength per call, 512x512 six. */
export const DEFAULT_TRANSFORMER_TOKENS_PER_CALL = 16384;

/**
 * Items one transformer call takes for this request's size: its activations grow with items x tokens (target,
 * reference and text; attention with the square of them), so a sweep on a full-size model at 1024x1024 (8,704
 * tokens) goes one strength per call, while kontext-tiny's 160 tokens never need splitting.
 */
export function itemsPerCall(
  manifest: BundleManifest,
  request: Pick<DenoiseRequest, 'width' | 'height' | 'refLatent' | 'text' | 'guide'>,
  tokensPerCall = DEFAULT_TRANSFORMER_TOKENS_PER_CALL,
): number {
  const f = manifest.vae.downscale;
  const [, , refH = 0, refW = 0] = request.refLatent.dims;
  const tokens = (request.height / f / 2) * (request.width / f / 2) + (refH / 2) * (refW / 2) + (request.text.embeds.dims[1] ?? 0);
  // A guided item is two rows of the transformer's batch.
  const rowsPerItem = request.guide ? 2 : 1;
  return Math.max(1, Math.floor(tokensPerCall / (tokens * rowsPerItem)));
}

/**
 * Denoises the request's items, at most `perCall` per transformer call; returns the scaled latents [K,C,h,w] and
 * the timing of the whole (its step times those of every call in turn). The caller has checked sizes and steps.
 */
export async function denoiseInCalls(
  manifest: BundleManifest,
  transformer: ModelSession,
  request: DenoiseRequest,
  perCall: number,
  options: DenoiseOptions,
): Promise<{ latent: FloatTensor; timing: DenoiseTiming }> {
  const { modulation } = request;
  const batch = modulation ? modulation.dims[0]! : Math.max(1, request.strengths.length);
  if (modulation && request.strengths.length > 0 && request.strengths.length !== batch) {
    throw new Error(`${request.strengths.length} strengths but the modulation has ${batch} rows`);
  }
  const calls = Math.ceil(batch / perCall);
  if (calls === 1) return denoiseCall(manifest, transformer, request, batch, options, { call: 0, calls });
  const parts: FloatTensor[] = [];
  const timings: DenoiseTiming[] = [];
  for (let call = 0; call < calls; call++) {
    const start = call * perCall;
    const end = Math.min(batch, start + perCall);
    const ownRows = (t: FloatTensor) => (t.dims[0] === batch ? sliceBatch(t, start, end) : t);
    const part: DenoiseRequest = {
      ...request,
      modulation: modulation && sliceBatch(modulation, start, end),
      strengths: request.strengths.slice(start, end),
      refLatent: ownRows(request.refLatent),
      text: { ...request.text, embeds: ownRows(request.text.embeds), pooled: ownRows(request.text.pooled) },
      ...(request.guide && { guide: { ...request.guide, negative: { embeds: ownRows(request.guide.negative.embeds), pooled: ownRows(request.guide.negative.pooled) } } }),
    };
    const { latent, timing } = await denoiseCall(manifest, transformer, part, end - start, options, { call, calls });
    parts.push(latent);
    timings.push(timing);
  }
  const timing: DenoiseTiming = {
    ...timings[0]!,
    batch,
    wallMs: timings.reduce((sum, t) => sum + t.wallMs, 0),
    onnxMs: timings.reduce((sum, t) => sum + t.onnxMs, 0),
    callbackMs: timings.reduce((sum, t) => sum + t.callbackMs, 0),
    stepMs: timings.flatMap((t) => t.stepMs),
  };
  return { latent: concatBatch(parts), timing };
}

/** One transformer call's sampling loop over `batch` items; progress counts as step `call * steps + step`. */
async function denoiseCall(
  manifest: BundleManifest,
  transformer: ModelSession,
  request: DenoiseRequest,
  batch: number,
  options: DenoiseOptions,
  { call, calls }: { call: number; calls: number },
): Promise<{ latent: FloatTensor; timing: DenoiseTiming }> {
  const f = manifest.vae.downscale;
  const { width, height, modulation } = request;
  const takesModulation = transformer.hasInput('modulation');
  const { guide } = request;
  if (guide && guide.negative.embeds.dims[1] !== request.text.embeds.dims[1]) {
    throw new Error(`the negative conditioning has ${guide.negative.embeds.dims[1]} text tokens, the instruction ${request.text.embeds.dims[1]}: encode both with the same model`);
  }
  const perItem = (t: FloatTensor) => (t.dims[0] === batch ? t : repeatBatch(t, batch));
  // Guided: the loop's rows are every item with the instruction, then every item with the negative one.
  const rowsOf = (pick: (t: DenoiseText) => FloatTensor) =>
    guide ? concatBatch([perItem(pick(request.text)), perItem(pick(guide.negative))]) : perItem(pick(request.text));
  const embeds = rowsOf((t) => t.embeds);
  const pooled = rowsOf((t) => t.pooled);
  const rows = guide ? 2 * batch : batch;
  const itemModulation = modulation ?? { data: new Float32Array(batch * manifest.dims.modulation_dim), dims: [batch, manifest.dims.modulation_dim] };
  const modulationFeed = takesModulation ? (guide ? concatBatch([itemModulation, itemModulation]) : itemModulation) : null;
  const loraScale = request.loraScale ?? (modulation ? 1 : 0);
  const txtIds = textIds(embeds.dims[1]!);
  const guidance = new Float32Array(rows).fill(request.guidance);

  const feeds: Record<string, TensorValue> = {
    encoder_hidden_states: embeds,
    pooled_projections: pooled,
    guidance: { data: guidance, dims: [rows] },
    txt_ids: { data: txtIds, dims: [txtIds.length / 3, 3] },
  };
  if (modulationFeed) feeds.modulation = modulationFeed;
  if (transformer.hasInput('lora_scale')) feeds.lora_scale = { data: new Float32Array([loraScale]), dims: [1] };
  const started = performance.now();
  let callbackMs = 0;
  const { onStep } = options;
  const done = call * request.steps;
  const result = await transformer.denoise(
    { batch, latentChannels: manifest.dims.latent_channels, latentHeight: height / f, latentWidth: width / f, reference: request.refLatent, seed: request.seed, steps: request.steps, scheduler: manifest.scheduler, editMask: request.editMask, ...(guide && { cfg: guide.scale }) },
    feeds,
    'velocity',
    {
      signal: options.signal,
      previewEveryMs: options.previewEveryMs,
      onStep: onStep
        ? (step, steps, x0) => {
          const before = performance.now();
          onStep(done + step, calls * steps, x0);
          callbackMs += performance.now() - before;
        }
        : undefined,
    },
  );
  const timing: DenoiseTiming = {
    batch,
    steps: request.steps,
    tokens: (height / f / 2) * (width / f / 2),
    wallMs: performance.now() - started,
    onnxMs: result.onnxMs.reduce((sum, ms) => sum + ms, 0),
    callbackMs,
    stepMs: result.stepMs,
  };
  return { latent: result.latent, timing };
}
