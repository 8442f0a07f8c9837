// A sweep's change curve: how far the picture has travelled by each strength, as a share of the whole way from
// the first frame to the last. The way is the sum of the changes between neighbouring frames (mean absolute
// difference of their RGB values, read at most 64 px on a side). A steep stretch is where the edit happens, a
// flat one where moving the slider does little. With Kontext Denoise's even change, the curve is near straight.

export interface CurvePoint {
  strength: number;
  /** Share of the sweep's total change reached at this frame, 0 at the first frame and 1 at the last. */
  change: number;
}

/** Longest side frames are compared at: enough to see an edit, cheap for a long sweep. */
export const CURVE_SIDE = 64;

/**
 * The curve of frames in strength order, from their RGBA pixels (all the same size). Null when there are fewer
 * than 3 frames (no curve to speak of) or nothing changes between them.
 * @throws Error when the counts or the frame sizes differ.
 */
export function changeCurve(strengths: readonly number[], frames: readonly Uint8ClampedArray[]): CurvePoint[] | null {
  if (strengths.length !== frames.length) throw new Error(`${strengths.length} strengths for ${frames.length} frames`);
  if (frames.length < 3) return null;
  const steps: number[] = [];
  for (let k = 1; k < frames.length; k++) {
    const a = frames[k - 1]!;
    const b = frames[k]!;
    if (a.length !== b.length) throw new Error(`frame ${k} has ${b.length / 4} pixels, frame ${k - 1} ${a.length / 4}`);
    let sum = 0;
    for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!);
    steps.push(sum / ((a.length / 4) * 3 * 255));
  }
  const total = steps.reduce((s, d) => s + d, 0);
  if (!(total > 0)) return null;
  let reached = 0;
  return strengths.map((strength, k) => {
    if (k > 0) reached += steps[k - 1]!;
    return { strength, change: k === frames.length - 1 ? 1 : reached / total };
  });
}

/** A loaded image's RGBA pixels at most `side` px on its longer side, read through a canvas. */
export function smallPixels(image: HTMLImageElement, side = CURVE_SIDE): Uint8ClampedArray {
  const scale = Math.min(1, side / Math.max(image.naturalWidth, image.naturalHeight));
  const width = Math.max(1, Math.round(image.naturalWidth * scale));
  const height = Math.max(1, Math.round(image.naturalHeight * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('no 2D canvas to read the frames with');
  context.drawImage(image, 0, 0, width, height);
  return context.getImageData(0, 0, width, height).data;
}
