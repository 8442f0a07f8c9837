// MS-SSIM-C, the perceptual distance the model tooling measures smoothness with (training/data/distance.py holds
// the definition; this is the same definition for the runtime, golden-tested against it). 0 for identical images,
// about 0.7 for unrelated photographs (LPIPS's scale). For RGB in [0, 1]:
// - opponent channels: luma (R+G+B)/3, chroma (R-G)/2 and (R+G-2B)/4;
// - structural term: 1 - mean SSIM of luma over 3 scales (full, 1/2, 1/4), 7x7 box windows with clamped edges;
// - colour term: mean of min(1, 2.5 |box-blurred chroma difference|) over the same scales;
// - distance = min(1, 1.08 * (structural + colour) / 2).

const SCALE = 1.08;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;
const SCALES = 3;
const RADIUS = 3;
const CHROMA_GAIN = 2.5;

interface Level {
  height: number;
  width: number;
  luma: Float32Array;
  /** Box-blurred luma, luma variance and the two chroma planes. */
  mean: Float32Array;
  variance: Float32Array;
  chromaA: Float32Array;
  chromaB: Float32Array;
}

/** What the distance needs of one image, computed once so the many pairs of a sweep share it. */
export interface DistanceFeatures {
  height: number;
  width: number;
  levels: Level[];
}

/** Mean over the (2r+1)^2 window around each pixel, edges clamped: two separable running-sum passes. */
function boxBlur(plane: Float32Array, height: number, width: number, radius = RADIUS): Float32Array {
  const rows = new Float32Array(plane.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    for (let d = -radius; d <= radius; d++) sum += plane[row + Math.min(width - 1, Math.max(0, d))]!;
    for (let x = 0; x < width; x++) {
      rows[row + x] = sum;
      sum += plane[row + Math.min(width - 1, x + radius + 1)]! - plane[row + Math.max(0, x - radius)]!;
    }
  }
  const out = new Float32Array(plane.length);
  const norm = 1 / ((2 * radius + 1) * (2 * radius + 1));
  for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let d = -radius; d <= radius; d++) sum += rows[Math.min(height - 1, Math.max(0, d)) * width + x]!;
    for (let y = 0; y < height; y++) {
      out[y * width + x] = sum * norm;
      sum += rows[Math.min(height - 1, y + radius + 1) * width + x]! - rows[Math.max(0, y - radius) * width + x]!;
    }
  }
  return out;
}

/** Half resolution by 2x2 averaging of interleaved RGB (an odd last row or column is dropped). */
function downsample2(rgb: Float32Array, height: number, width: number): { rgb: Float32Array; height: number; width: number } {
  const h = height >> 1;
  const w = width >> 1;
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    const top = 2 * y * width * 3;
    const bottom = top + width * 3;
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const left = 6 * x + c;
        out[(y * w + x) * 3 + c] = 0.25 * (rgb[top + left]! + rgb[bottom + left]! + rgb[top + left + 3]! + rgb[bottom + left + 3]!);
      }
    }
  }
  return { rgb: out, height: h, width: w };
}

/**
 * Features of an interleaved RGB image [H*W*3] in [0, 1]. With `maxSide`, the image is first halved until its
 * longer side is at most that (a megapixel output would otherwise need hundreds of MB of planes per frame).
 * @throws RangeError when the pixel count does not match the size, or the image is too small for 3 scales.
 */
export function distanceFeatures(rgb: Float32Array, height: number, width: number, maxSide = Infinity): DistanceFeatures {
  if (rgb.length !== height * width * 3) throw new RangeError(`distance needs ${height}x${width}x3 values, got ${rgb.length}`);
  let level = { rgb, height, width };
  while (Math.max(level.height, level.width) > maxSide && Math.min(level.height, level.width) >= 8) level = downsample2(level.rgb, level.height, level.width);
  if (level.height < 4 || level.width < 4) throw new RangeError(`distance needs an image of at least 4x4 pixels (3 scales), got ${width}x${height}`);
  ({ height, width } = level);
  const levels: Level[] = [];
  for (let s = 0; s < SCALES; s++) {
    const n = level.height * level.width;
    const luma = new Float32Array(n);
    const lumaSquared = new Float32Array(n);
    const chromaA = new Float32Array(n);
    const chromaB = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const r = level.rgb[p * 3]!;
      const g = level.rgb[p * 3 + 1]!;
      const b = level.rgb[p * 3 + 2]!;
      const l = (r + g + b) / 3;
      luma[p] = l;
      lumaSquared[p] = l * l;
      chromaA[p] = (r - g) * 0.5;
      chromaB[p] = (r + g - 2 * b) * 0.25;
    }
    const blur = (plane: Float32Array): Float32Array => boxBlur(plane, level.height, level.width);
    const mean = blur(luma);
    const variance = blur(lumaSquared);
    for (let p = 0; p < n; p++) variance[p]! -= mean[p]! * mean[p]!;
    levels.push({ height: level.height, width: level.width, luma, mean, variance, chromaA: blur(chromaA), chromaB: blur(chromaB) });
    if (s < SCALES - 1) level = downsample2(level.rgb, level.height, level.width);
  }
  return { height, width, levels };
}

/** The distance between two images' features, in [0, 1]. @throws RangeError when their sizes differ. */
export function perceptualDistance(a: DistanceFeatures, b: DistanceFeatures): number {
  if (a.height !== b.height || a.width !== b.width) throw new RangeError(`distance needs images of one size, got ${a.width}x${a.height} and ${b.width}x${b.height}`);
  let ssimSum = 0;
  let colourSum = 0;
  for (let s = 0; s < SCALES; s++) {
    const la = a.levels[s]!;
    const lb = b.levels[s]!;
    const n = la.height * la.width;
    const product = new Float32Array(n);
    for (let p = 0; p < n; p++) product[p] = la.luma[p]! * lb.luma[p]!;
    const cross = boxBlur(product, la.height, la.width);
    let ssim = 0;
    let colour = 0;
    for (let p = 0; p < n; p++) {
      const muA = la.mean[p]!;
      const muB = lb.mean[p]!;
      const muAB = muA * muB;
      ssim += ((2 * muAB + C1) * (2 * (cross[p]! - muAB) + C2)) / ((muA * muA + muB * muB + C1) * (la.variance[p]! + lb.variance[p]! + C2));
      const dA = la.chromaA[p]! - lb.chromaA[p]!;
      const dB = la.chromaB[p]! - lb.chromaB[p]!;
      colour += Math.min(1, CHROMA_GAIN * Math.sqrt(dA * dA + dB * dB));
    }
    ssimSum += ssim / n;
    colourSum += colour / n;
  }
  const structural = Math.max(0, 1 - ssimSum / SCALES);
  return Math.min(1, SCALE * 0.5 * (structural + colourSum / SCALES));
}
