// The Kontext sampling loop, independent of where the velocity comes from: noise from the seed (the same for
// every item of a batch), the shifted sigma schedule, reference tokens appended after the target tokens each
// step and the velocity sliced back to the target, Euler updates, x0 previews, abort between steps. An edit mask
// confines the edit: after every step, the latent outside it is put back to the reference noised to that step's
// sigma (as ComfyUI's noise mask does with its source latent), so the model sees and blends into the unedited
// surroundings, and at sigma 0 the outside is the reference itself. Classifier-free guidance runs every item
// twice a step, with the instruction and with a negative one, and moves along the difference of the two velocities.
import { eulerStep, predictCleanLatent } from '../../nodes/kontext/math/euler.js';
import { gaussianNoise } from '../../nodes/kontext/math/noise.js';
import { packLatent, unpackTokens } from '../../nodes/kontext/math/packing.js';
import { jointImageIds, referenceIds, targetIds } from '../../nodes/kontext/math/position-ids.js';
import { sigmaSchedule, type SchedulerConfig } from '../../nodes/kontext/math/schedule.js';
import type { FloatTensor } from '../../nodes/kontext/math/tensor.js';

/** One transformer call: hidden [K,N+Nr,P], ids [N+Nr,3], sigma for every item -> velocity [K,N+Nr,P]. */
export type VelocityFunction = (hidden: FloatTensor, imgIds: Float32Array, sigma: number) => Promise<FloatTensor>;

export interface LoopRequest {
  /** Items in the batch (strengths of a sweep). */
  batch: number;
  latentChannels: number;
  /** Target latent grid (height/downscale, width/downscale). */
  latentHeight: number;
  latentWidth: number;
  /** Scaled reference latent, [1,C,h',w'] (shared) or [K,C,h',w'] (one per item). */
  reference: FloatTensor;
  seed: number | bigint;
  steps: number;
  scheduler: SchedulerConfig;
  /**
   * Where to edit, one weight per target latent pixel [h*w] (1 = edit, 0 = keep the reference, between: a blend);
   * the reference must then be the target's size. Absent: the whole image.
   */
  editMask?: Float32Array;
  /**
   * Classifier-free guidance scale. Present: the transformer sees every item twice a step (rows 0..K-1 with the
   * instruction, rows K..2K-1 with the negative one; the caller's fixed feeds are ordered so) and the step follows
   * v_negative + cfg (v_instruction - v_negative). Absent: one row per item, the instruction's velocity as is.
   */
  cfg?: number;
}

/** Mask weights for every value of a packed token row: the latent pixel's weight in each channel's slot. */
function packedMask(mask: Float32Array, channels: number, h: number, w: number): Float32Array {
  const planes = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++) planes.set(mask, c * h * w);
  return packLatent({ data: planes, dims: [1, channels, h, w] }).data;
}

export interface LoopCallbacks {
  signal?: AbortSignal;
  /**
   * After step `step` (1-based) of `steps`, with the predicted clean latent [K,C,h,w] (scaled), or null for a
   * step whose x0 `wantsX0` declined.
   */
  onStep?: (step: number, steps: number, x0: FloatTensor | null) => void | Promise<void>;
  /**
   * Whether step `step` should predict x0 for onStep (every step when absent). A preview nobody will show still
   * costs a pass over the batch, an allocation and a hand-over; on a small model that is most steps.
   */
  wantsX0?: (step: number) => boolean;
  /** After each step's update, before onStep (cheap: no x0 is computed for it). */
  afterStep?: (step: number) => void;
}

/** x = m x + (1 - m) ((1 - sigma) ref + sigma noise): outside the mask, the reference at this noise level. */
function keepOutside(x: Float32Array, mask: Float32Array, ref: Float32Array, noise: Float32Array, sigma: number): void {
  for (let j = 0; j < x.length; j++) {
    const m = mask[j]!;
    if (m === 1) continue;
    x[j] = m * x[j]! + (1 - m) * ((1 - sigma) * ref[j]! + sigma * noise[j]!);
  }
}

/** out = vNeg + scale (vPos - vNeg), over the target rows of one item. */
function guidedVelocity(vPos: Float32Array, vNeg: Float32Array, scale: number, out: Float32Array): Float32Array {
  for (let j = 0; j < out.length; j++) out[j] = vNeg[j]! + scale * (vPos[j]! - vNeg[j]!);
  return out;
}

/**
 * Runs the sampler and returns the final scaled latent [K,C,h,w].
 * @throws the signal's reason when aborted (checked before every step), or Error on inconsistent shapes.
 */
export async function runDenoiseLoop(request: LoopRequest, velocityOf: VelocityFunction, callbacks: LoopCallbacks = {}): Promise<FloatTensor> {
  const { batch, latentChannels: channels, latentHeight: h, latentWidth: w } = request;
  const { signal, onStep, afterStep, wantsX0 } = callbacks;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`the target latent grid ${h}x${w} must be even (image sides a multiple of twice the VAE downscale)`);
  const [refBatch, refChannels, refH, refW] = request.reference.dims as [number, number, number, number];
  if (request.reference.dims.length !== 4 || refChannels !== channels) {
    throw new Error(`the reference latent must be [B,${channels},h,w], got [${request.reference.dims.join(',')}]`);
  }
  if (refBatch !== 1 && refBatch !== batch) throw new Error(`the reference latent has batch ${refBatch}; it must be 1 or the ${batch} items being denoised`);

  const refTokens = packLatent(request.reference);
  const { editMask } = request;
  if (editMask && (editMask.length !== h * w || refH !== h || refW !== w)) {
    throw new Error(`an edit mask needs ${h}x${w} weights and a reference of the target's size; got ${editMask.length} weights and a ${refH}x${refW} reference`);
  }
  const keepWeights = editMask && packedMask(editMask, channels, h, w);
  const targetCount = (h / 2) * (w / 2);
  const refCount = (refH / 2) * (refW / 2);
  const width = channels * 4;
  const imgIds = jointImageIds(targetIds(h, w), referenceIds(refH, refW));
  const sigmas = sigmaSchedule(request.steps, targetCount, request.scheduler);

  // One noise draw, copied to every item: a sweep differs only in its strength.
  const noise = packLatent({ data: gaussianNoise(request.seed, channels * h * w), dims: [1, channels, h, w] });
  const targetItem = targetCount * width;
  const refItem = refCount * width;
  const jointItem = targetItem + refItem;
  const x = new Float32Array(batch * targetItem);
  for (let k = 0; k < batch; k++) x.set(noise.data, k * targetItem);

  // With guidance every item has a second row, its negative twin, seeing the same latent and reference.
  const { cfg } = request;
  const rows = cfg === undefined ? batch : 2 * batch;
  const guided = cfg === undefined ? null : new Float32Array(targetItem);
  const hidden = new Float32Array(rows * jointItem);
  let velocity: FloatTensor = { data: hidden, dims: [] };
  const velocityRow = (r: number) => velocity.data.subarray(r * jointItem, r * jointItem + targetItem);
  for (let row = 0; row < rows; row++) {
    const k = row % batch;
    const ref = refBatch === 1 ? refTokens.data : refTokens.data.subarray(k * refItem, (k + 1) * refItem);
    hidden.set(ref, row * jointItem + targetItem);
  }

  for (let i = 0; i < request.steps; i++) {
    signal?.throwIfAborted();
    for (let row = 0; row < rows; row++) {
      const k = row % batch;
      hidden.set(x.subarray(k * targetItem, (k + 1) * targetItem), row * jointItem);
    }
    velocity = await velocityOf({ data: hidden, dims: [rows, targetCount + refCount, width] }, imgIds, sigmas[i]!);
    if (velocity.data.length !== hidden.length) {
      throw new Error(`the transformer returned velocity [${velocity.dims.join(',')}], expected [${rows},${targetCount + refCount},${width}]`);
    }
    const x0 = onStep && (wantsX0?.(i + 1) ?? true) ? new Float32Array(x.length) : null;
    for (let k = 0; k < batch; k++) {
      const xk = x.subarray(k * targetItem, (k + 1) * targetItem);
      const vk = guided ? guidedVelocity(velocityRow(k), velocityRow(k + batch), cfg!, guided) : velocityRow(k);
      if (x0) predictCleanLatent(xk, vk, sigmas[i]!, x0.subarray(k * targetItem, (k + 1) * targetItem));
      eulerStep(xk, vk, sigmas[i]!, sigmas[i + 1]!);
      if (keepWeights) {
        const ref = refBatch === 1 ? refTokens.data : refTokens.data.subarray(k * refItem, (k + 1) * refItem);
        keepOutside(xk, keepWeights, ref, noise.data, sigmas[i + 1]!);
        if (x0) keepOutside(x0.subarray(k * targetItem, (k + 1) * targetItem), keepWeights, ref, noise.data, 0);
      }
    }
    afterStep?.(i + 1);
    if (onStep) await onStep(i + 1, request.steps, x0 && unpackTokens({ data: x0, dims: [batch, targetCount, width] }, h, w));
  }
  return unpackTokens({ data: x, dims: [batch, targetCount, width] }, h, w);
}
