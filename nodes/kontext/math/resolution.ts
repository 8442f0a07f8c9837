// The preferred-resolution rule (KONTEXT.md 2): a reference is resized to the listed size whose aspect ratio is
// nearest its own, as BFL's Kontext does; sizes are multiples of 16 so the latent grid packs 2x2.

/** [width, height] in pixels. */
export type Resolution = readonly [number, number];

/** FLUX.1 Kontext's preferred sizes (w,h), portrait to landscape: the listed ones and their transposes. */
export const FLUX_KONTEXT_RESOLUTIONS: readonly Resolution[] = (() => {
  const portrait: Resolution[] = [
    [672, 1568], [688, 1504], [720, 1456], [752, 1392], [800, 1328], [832, 1248], [880, 1184], [944, 1104],
  ];
  return [...portrait, [1024, 1024], ...portrait.map(([w, h]) => [h, w] as const).reverse()];
})();

/**
 * The size among `candidates` whose w/h is nearest the image's (ties: the earlier candidate).
 * @throws Error when the image size is not positive or there are no candidates.
 */
export function nearestResolution(width: number, height: number, candidates: readonly Resolution[]): Resolution {
  if (!(width > 0) || !(height > 0)) throw new Error(`image size ${width}x${height} must be positive`);
  if (candidates.length === 0) throw new Error('no candidate resolutions to choose from');
  const aspect = width / height;
  let best = candidates[0]!;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = Math.abs(aspect - candidate[0] / candidate[1]);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Rounds a size down to a multiple (at least one multiple). */
export function roundToMultiple(value: number, multiple: number): number {
  return Math.max(multiple, Math.floor(value / multiple) * multiple);
}

/** The manifest fields the rule reads. */
export interface BundleResolutions {
  native: Resolution;
  preferred?: readonly Resolution[];
  multiple_of: number;
}

/**
 * A bundle's own candidate list: its `preferred` sizes, or its native size alone, each rounded to `multiple_of`.
 */
export function bundleResolutions(resolutions: BundleResolutions): Resolution[] {
  const list = resolutions.preferred && resolutions.preferred.length > 0 ? resolutions.preferred : [resolutions.native];
  return list.map(([w, h]) => [roundToMultiple(w, resolutions.multiple_of), roundToMultiple(h, resolutions.multiple_of)] as const);
}

/** The size an image of width x height is resized to for a bundle (nearest aspect ratio among its list). */
export function preferredResolution(width: number, height: number, resolutions: BundleResolutions): Resolution {
  return nearestResolution(width, height, bundleResolutions(resolutions));
}
