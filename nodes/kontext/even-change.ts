// Kontext Denoise's "even change" spacing. A model need not spread its change evenly over s, so equal steps of
// strength can stall and then leap. The decoded frames of a probe sweep say how much the image changes between
// neighbouring strengths (MS-SSIM-C, the distance the quality bars use); from that path:
// - a sweep is rendered as given (the probe), then its inner strengths again where the change comes in equal
//   steps; the ends are the probe's own frames (same strength, same noise);
// - a single strength s is rendered where the edit has covered the fraction s of its change, from a probe at
//   PROBE_STRENGTHS that is measured once per edit (image, instruction, seed, steps, guidance) and kept, so
//   moving the Strength slider afterwards costs one render again.
import { changePath, distanceFeatures, evenChangeStrengths, floatTensor, modelOutputToImage, perceptualDistance, sweepOrderProblem, type ChangePath, type FloatTensor } from './math/index.js';
import type { KontextHandle, KontextPipeline } from './pipeline-access.js';

export const SPACINGS = ['as given', 'even change'] as const;

/** What a single strength's probe renders. */
export const PROBE_STRENGTHS = [0, 0.2, 0.4, 0.6, 0.8, 1];

/** Strengths found by measurement are kept to 3 decimals: what grids, badges and the explorer show is exactly
 * what was rendered, and a thousandth of strength changes nothing visible. */
export const roundStrength = (s: number): number => Math.round(s * 1000) / 1000;

/** How one Denoise applies its spacing: as given, a sweep re-spaced, or a single strength mapped by a probe. */
export type SpacingPlan = 'as given' | 'sweep' | 'single';

/** Renders one reference at the given strengths with their modulation: scaled latents [K,C,h,w]. */
export type RenderStrengths = (strengths: number[], modulation: FloatTensor) => Promise<FloatTensor>;

/**
 * The plan for a spacing input and the modulation's strengths (null: no Projector connected).
 * @throws Error naming the problem: even change without a Projector, or a sweep out of order.
 */
export function spacingPlan(spacing: unknown, strengths: number[] | null): SpacingPlan {
  if (spacing !== 'even change') return 'as given';
  if (!strengths) throw new Error("spacing 'even change' needs strengths from a Projector connected to modulation");
  if (strengths.length === 1) return strengths[0]! > 0 && strengths[0]! < 1 ? 'single' : 'as given';
  // Two strengths are their own even spacing.
  if (strengths.length === 2) return 'as given';
  const problem = sweepOrderProblem(strengths);
  if (problem) throw new Error(`spacing 'even change': ${problem}`);
  return 'sweep';
}

/** Longest side the change is measured at: enough to see an edit, and a full-size model's megapixel frames stay cheap. */
const MEASURE_SIDE = 256;

/** Adjacent perceptual distances between the decoded items of [K,3,H,W] images in [-1, 1]. */
export function adjacentChanges(decoded: FloatTensor): number[] {
  const { pixels, count, height, width } = modelOutputToImage(decoded);
  const size = height * width * 3;
  const features = Array.from({ length: count }, (_, k) => distanceFeatures(pixels.subarray(k * size, (k + 1) * size), height, width, MEASURE_SIDE));
  return features.slice(1).map((f, k) => perceptualDistance(features[k]!, f));
}

/** The sweep re-rendered at evenly changing strengths: the latent [K,C,h,w] (ends from the probe) and the strengths. */
export async function renderEvenly(
  pipeline: KontextPipeline,
  handle: KontextHandle,
  pooled: FloatTensor,
  strengths: number[],
  probe: FloatTensor,
  render: RenderStrengths,
): Promise<{ latent: FloatTensor; strengths: number[]; path: ChangePath }> {
  const path = changePath(strengths, adjacentChanges(await pipeline.decode(handle, probe)));
  const even = evenChangeStrengths(path, strengths.length).map(roundStrength);
  const inner = even.slice(1, -1);
  const middle = await render(inner, await pipeline.project(handle, inner, pooled));
  const item = probe.data.length / strengths.length;
  const data = new Float32Array(probe.data.length);
  data.set(probe.data.subarray(0, item), 0);
  data.set(middle.data, item);
  data.set(probe.data.subarray(probe.data.length - item), probe.data.length - item);
  return { latent: floatTensor(data, probe.dims), strengths: even, path };
}

/**
 * Measured paths per edit, by the conditioning and reference objects (the engine hands the same objects while
 * the encoders stay cached; new ones mean a new edit) and a key for the rest (reference index, seed, steps,
 * guidance). Only a few numbers each; they go with the objects.
 */
const paths = new WeakMap<object, WeakMap<object, Map<string, Promise<ChangePath>>>>();

function pathsOf(conditioning: object, reference: object): Map<string, Promise<ChangePath>> {
  let byReference = paths.get(conditioning);
  if (!byReference) paths.set(conditioning, (byReference = new WeakMap()));
  let byKey = byReference.get(reference);
  if (!byKey) byReference.set(reference, (byKey = new Map()));
  return byKey;
}

/** Whether this edit's path is measured already (a single strength then renders once). */
export function hasChangePath(conditioning: object, reference: object, key: string): boolean {
  return paths.get(conditioning)?.get(reference)?.has(key) ?? false;
}

/**
 * Keeps a path a sweep over the whole range (0 to 1) measured anyway, so a single strength of the same edit needs
 * no probe of its own afterwards. A path already known is kept.
 */
export function rememberChangePath(conditioning: object, reference: object, key: string, path: ChangePath): void {
  const { strengths } = path;
  if (strengths[0] !== 0 || strengths[strengths.length - 1] !== 1) return;
  const known = pathsOf(conditioning, reference);
  if (!known.has(key)) known.set(key, Promise.resolve(path));
}

/** This edit's path, rendering the probe the first time; a failed probe is not kept. */
export function changePathOf(
  conditioning: object,
  reference: object,
  key: string,
  probe: { pipeline: KontextPipeline; handle: KontextHandle; pooled: FloatTensor; render: RenderStrengths },
): Promise<ChangePath> {
  const known = pathsOf(conditioning, reference);
  let path = known.get(key);
  if (!path) {
    const { pipeline, handle, pooled, render } = probe;
    path = (async () => {
      const latent = await render(PROBE_STRENGTHS, await pipeline.project(handle, PROBE_STRENGTHS, pooled));
      return changePath(PROBE_STRENGTHS, adjacentChanges(await pipeline.decode(handle, latent)));
    })();
    known.set(key, path);
    path.catch(() => known.delete(key));
  }
  return path;
}
