// Between the product's IMAGE layout (NHWC float32 in [0,1], ComfyUI's) and the VAE's (NCHW float32 in [-1,1]).
import type { FloatTensor } from './tensor.js';

/**
 * NHWC [0,1] pixels of `count` images to an NCHW [-1,1] tensor.
 * @throws Error when the pixel count does not match the given size.
 */
export function imageToModelInput(pixels: Float32Array, count: number, height: number, width: number): FloatTensor {
  const plane = height * width;
  if (pixels.length !== count * plane * 3) {
    throw new Error(`image data has ${pixels.length} values, expected ${count}x${height}x${width}x3`);
  }
  const out = new Float32Array(pixels.length);
  for (let b = 0; b < count; b++) {
    const base = b * plane * 3;
    for (let p = 0; p < plane; p++) {
      const src = base + p * 3;
      out[base + p] = pixels[src]! * 2 - 1;
      out[base + plane + p] = pixels[src + 1]! * 2 - 1;
      out[base + 2 * plane + p] = pixels[src + 2]! * 2 - 1;
    }
  }
  return { data: out, dims: [count, 3, height, width] };
}

/**
 * An NCHW [-1,1] RGB tensor to NHWC [0,1] pixels: `clamp(x/2 + 0.5, 0, 1)`.
 * @throws Error when the tensor is not [B,3,H,W].
 */
export function modelOutputToImage(tensor: FloatTensor): { pixels: Float32Array; count: number; height: number; width: number } {
  if (tensor.dims.length !== 4 || tensor.dims[1] !== 3) throw new Error(`decoded image must be [B,3,H,W], got [${tensor.dims.join(',')}]`);
  const [count, , height, width] = tensor.dims as [number, number, number, number];
  const plane = height * width;
  const pixels = new Float32Array(tensor.data.length);
  for (let b = 0; b < count; b++) {
    const base = b * plane * 3;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const v = tensor.data[base + c * plane + p]! * 0.5 + 0.5;
        pixels[base + p * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return { pixels, count, height, width };
}
