// Kontext Denoise's "even change" spacing: the sweep rendered as given is the probe; its decoded frames say how
// much the image changes between neighbouring strengths (MS-SSIM-C, the distance the quality bars use), and the
// sweep is rendered again where that change comes in equal steps. The ends are the probe's own frames (same
// strength, same noise), so only the inner strengths are rendered twice.
import { distanceFeatures, evenChangeStrengths, floatTensor, modelOutputToImage, perceptualDistance, type FloatTensor } from './math/index.js';
import type { KontextHandle, KontextPipeline } from './pipeline-access.js';

export const SPACINGS = ['as given', 'even change'] as const;

/** Renders one reference at the given strengths with their modulation: scaled latents [K,C,h,w]. */
export type RenderStrengths = (strengths: number[], modulation: FloatTensor) => Promise<FloatTensor>;

/** Adjacent perceptual distances between the decoded items of [K,3,H,W] images in [-1, 1]. */
export function adjacentChanges(decoded: FloatTensor): number[] {
  const { pixels, count, height, width } = modelOutputToImage(decoded);
  const size = height * width * 3;
  const features = Array.from({ length: count }, (_, k) => distanceFeatures(pixels.subarray(k * size, (k + 1) * size), height, width));
  return features.slice(1).map((f, k) => perceptualDistance(features[k]!, f));
}

/**
 * The sweep re-rendered at evenly changing strengths: the latent [K,C,h,w] (ends from the probe) and the strengths.
 * @throws Error naming the problem when the strengths are not in order from start to end.
 */
export async function renderEvenly(
  pipeline: KontextPipeline,
  handle: KontextHandle,
  pooled: FloatTensor,
  strengths: number[],
  probe: FloatTensor,
  render: RenderStrengths,
): Promise<{ latent: FloatTensor; strengths: number[] }> {
  let even: number[];
  try {
    even = evenChangeStrengths(strengths, adjacentChanges(await pipeline.decode(handle, probe)), strengths.length);
  } catch (error) {
    throw new Error(`spacing 'even change': ${(error as Error).message}`);
  }
  const inner = even.slice(1, -1);
  const middle = await render(inner, await pipeline.project(handle, inner, pooled));
  const item = probe.data.length / strengths.length;
  const data = new Float32Array(probe.data.length);
  data.set(probe.data.subarray(0, item), 0);
  data.set(middle.data, item);
  data.set(probe.data.subarray(probe.data.length - item), probe.data.length - item);
  return { latent: floatTensor(data, probe.dims), strengths: even };
}
