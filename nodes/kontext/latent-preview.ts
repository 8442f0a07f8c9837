// Cheap previews for bundles without a preview decoder: a linear map from the latent's channels to RGB (what
// ComfyUI calls latent2rgb), fitted by least squares on the bundle's own VAE: the reference latent beside its
// full decode, averaged over each latent cell. Running the full VAE decoder every step would cost several
// transformer steps on small models; this costs a few multiply-adds per latent cell.
import { makeImageBatch, type ImageBatch } from '../sockets.js';
import type { FloatTensor } from './math/index.js';

/** (channels + 1) x 3 coefficients: RGB (in [-1,1]) = [z, 1] * map. */
export interface LatentRgbMap {
  channels: number;
  coefficients: Float64Array;
}

/** Solves the symmetric positive system A x = b (n x n, row-major) in place by Gaussian elimination. */
function solve(a: Float64Array, b: Float64Array, n: number, rhs: number): Float64Array {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) [a[col * n + c], a[pivot * n + c]] = [a[pivot * n + c]!, a[col * n + c]!];
      for (let c = 0; c < rhs; c++) [b[col * rhs + c], b[pivot * rhs + c]] = [b[pivot * rhs + c]!, b[col * rhs + c]!];
    }
    const d = a[col * n + col]!;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col]! / d;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c]! -= f * a[col * n + c]!;
      for (let c = 0; c < rhs; c++) b[r * rhs + c]! -= f * b[col * rhs + c]!;
    }
  }
  const x = new Float64Array(n * rhs);
  for (let r = 0; r < n; r++) for (let c = 0; c < rhs; c++) x[r * rhs + c] = b[r * rhs + c]! / a[r * n + r]!;
  return x;
}

/**
 * Fits the map from a latent [B,C,h,w] and its decode [B,3,H,W] (H = f*h) by ridge-regularised least squares.
 * Throws Error when the shapes do not correspond.
 */
export function fitLatentRgbMap(latent: FloatTensor, decoded: FloatTensor): LatentRgbMap {
  const [batch, channels, h, w] = latent.dims as [number, number, number, number];
  const [dBatch, three, H, W] = decoded.dims as [number, number, number, number];
  if (latent.dims.length !== 4 || decoded.dims.length !== 4 || dBatch !== batch || three !== 3 || H % h !== 0 || W % w !== 0 || H / h !== W / w) {
    throw new Error(`cannot fit a preview map from latent [${latent.dims.join(',')}] and image [${decoded.dims.join(',')}]`);
  }
  const f = H / h;
  const n = channels + 1;
  const ata = new Float64Array(n * n);
  const atb = new Float64Array(n * 3);
  const row = new Float64Array(n);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < channels; c++) row[c] = latent.data[((b * channels + c) * h + y) * w + x]!;
        row[channels] = 1;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ata[i * n + j]! += row[i]! * row[j]!;
        for (let rgb = 0; rgb < 3; rgb++) {
          let sum = 0;
          for (let dy = 0; dy < f; dy++) {
            const base = ((b * 3 + rgb) * H + y * f + dy) * W + x * f;
            for (let dx = 0; dx < f; dx++) sum += decoded.data[base + dx]!;
          }
          const mean = sum / (f * f);
          for (let i = 0; i < n; i++) atb[i * 3 + rgb]! += row[i]! * mean;
        }
      }
    }
  }
  // A little ridge keeps the system solvable when channels are (nearly) constant in the calibration image.
  const ridge = 1e-3 * (batch * h * w);
  for (let i = 0; i < channels; i++) ata[i * n + i]! += ridge;
  return { channels, coefficients: solve(ata, atb, n, 3) };
}

/**
 * Applies the map to latents [K,C,h,w] and lays the items side by side as one preview image: NHWC RGB in [0,1],
 * each latent cell enlarged to scale x scale pixels (so small grids still show), at most `maxItems` items (evenly
 * picked). The enlargement is bilinear between cell centres: whole-pixel blocks made a 16x16 grid look like a
 * mosaic, where the picture is a blurred image still taking shape. Throws Error on a channel mismatch.
 */
export function latentPreviewImage(map: LatentRgbMap, latent: FloatTensor, scale = 1, maxItems = 8): ImageBatch {
  const [count, channels, h, w] = latent.dims as [number, number, number, number];
  if (channels !== map.channels) throw new Error(`preview map is for ${map.channels} channels, the latent has ${channels}`);
  const shown = Math.min(count, maxItems);
  const H = h * scale;
  const W = w * scale;
  const stripW = shown * W;
  const pixels = new Float32Array(H * stripW * 3);
  const k = map.coefficients;
  const plane = h * w;
  const cells = new Float32Array(plane * 3);
  // Where each output row/column falls between cell centres: the lower cell and the weight of the upper one.
  const axis = (n: number) => Array.from({ length: n * scale }, (_, i) => {
    const u = Math.min(n - 1, Math.max(0, (i + 0.5) / scale - 0.5));
    const lo = Math.min(n - 2, Math.floor(u));
    return lo < 0 ? { lo: 0, hi: 0, t: 0 } : { lo, hi: lo + 1, t: u - lo };
  });
  const rows = axis(h);
  const cols = axis(w);
  for (let slot = 0; slot < shown; slot++) {
    const b = Math.round((slot * (count - 1)) / Math.max(1, shown - 1));
    for (let p = 0; p < plane; p++) {
      for (let c3 = 0; c3 < 3; c3++) {
        let v = k[channels * 3 + c3]!;
        for (let c = 0; c < channels; c++) v += latent.data[(b * channels + c) * plane + p]! * k[c * 3 + c3]!;
        const unit = v * 0.5 + 0.5; // [-1,1] -> [0,1], as the VAE decoder's output is mapped
        cells[p * 3 + c3] = unit < 0 ? 0 : unit > 1 ? 1 : unit;
      }
    }
    for (let y = 0; y < H; y++) {
      const { lo: y0, hi: y1, t: ty } = rows[y]!;
      for (let x = 0; x < W; x++) {
        const { lo: x0, hi: x1, t: tx } = cols[x]!;
        const o = (y * stripW + slot * W + x) * 3;
        for (let c3 = 0; c3 < 3; c3++) {
          const top = cells[(y0 * w + x0) * 3 + c3]! * (1 - tx) + cells[(y0 * w + x1) * 3 + c3]! * tx;
          const bottom = cells[(y1 * w + x0) * 3 + c3]! * (1 - tx) + cells[(y1 * w + x1) * 3 + c3]! * tx;
          pixels[o + c3] = top * (1 - ty) + bottom * ty;
        }
      }
    }
  }
  return makeImageBatch(1, H, stripW, pixels);
}
