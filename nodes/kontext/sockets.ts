// The values that travel on the Kontext sockets. IMAGE is nodes/sockets.ts' ImageBatch; the rest are defined
// here. Every batched value carries per-item metadata so a sweep's strengths survive to grids and animations.
import type { ItemMeta } from '../sockets.js';
import type { KontextHandle } from './pipeline-access.js';

/** Socket type names, as they appear in object_info and workflows. */
export const SOCKET = {
  IMAGE: 'IMAGE',
  LATENT: 'LATENT',
  CONDITIONING: 'CONDITIONING',
  STRENGTH: 'STRENGTH',
  MODULATION: 'MODULATION',
  KONTEXT_MODEL: 'KONTEXT_MODEL',
} as const;

/** KONTEXT_MODEL: a loaded bundle. Values derived from it remember its name so a mix-up is caught early. */
export interface KontextModel {
  kind: 'KONTEXT_MODEL';
  /** Bundle name (folder name under models/). */
  name: string;
  handle: KontextHandle;
}

/** CONDITIONING: the encoded instruction, one item. */
export interface Conditioning {
  kind: 'CONDITIONING';
  model: string;
  text: string;
  /** CLIP-role pooled vector, [1, pooledDim]. */
  pooled: Float32Array;
  pooledDim: number;
  /** T5-role sequence, [1, seqLen, embedDim]. */
  embeds: Float32Array;
  seqLen: number;
  embedDim: number;
}

/** LATENT: B scaled latents (z = (mean - shift) * scale), NCHW float32, all of one size. */
export interface Latent {
  kind: 'LATENT';
  model: string;
  count: number;
  channels: number;
  height: number;
  width: number;
  /** length count*channels*height*width */
  data: Float32Array;
  meta: ItemMeta[];
}

/** STRENGTH: one or more edit strengths in [0, 1], in the order they will be rendered. */
export interface Strength {
  kind: 'STRENGTH';
  values: number[];
}

/** MODULATION: the projector's output, one row per strength. */
export interface Modulation {
  kind: 'MODULATION';
  model: string;
  strengths: number[];
  /** [strengths.length, dim] */
  data: Float32Array;
  dim: number;
}

/** Bytes a latent holds, for the engine's byte-bounded cache. */
export function latentItemSize(latent: Latent): number {
  return latent.channels * latent.height * latent.width;
}

/** Builds a LATENT, checking that the data length matches the shape; throws Error when it does not. */
export function makeLatent(model: string, count: number, channels: number, height: number, width: number, data: Float32Array, meta?: ItemMeta[]): Latent {
  const expected = count * channels * height * width;
  if (data.length !== expected) {
    throw new Error(`latent data has ${data.length} values, expected ${count}x${channels}x${height}x${width} = ${expected}`);
  }
  return { kind: 'LATENT', model, count, channels, height, width, data, meta: meta ?? Array.from({ length: count }, () => ({})) };
}

/** Item `index` of a latent as its own single-item latent (a view, not a copy). */
export function latentItem(latent: Latent, index: number): Latent {
  const size = latentItemSize(latent);
  return makeLatent(latent.model, 1, latent.channels, latent.height, latent.width, latent.data.subarray(index * size, (index + 1) * size), [
    { ...latent.meta[index] },
  ]);
}

/** The model input every Kontext node takes, declared once so its tooltip reads the same everywhere. */
export const MODEL_INPUT = { type: SOCKET.KONTEXT_MODEL, tooltip: 'The model from Load Kontext Model.' } as const;

/** The encoded-instruction input of Projector and Kontext Denoise. */
export const CONDITIONING_INPUT = { type: SOCKET.CONDITIONING, tooltip: 'The encoded instruction from Encode Text.' } as const;
