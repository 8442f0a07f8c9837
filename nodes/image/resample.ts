// Resampling shared by the scaling nodes: the centred crop to an aspect ratio, ComfyUI's upscale methods (sharp's
// kernels, plus "area", which ComfyUI takes from torch's adaptive average pooling), and the size limit that keeps a
// typo in a width from allocating gigabytes.
import { makeImageBatch, type ImageBatch } from '../sockets.js';
import { resizeImage, type ResizeKernel } from '../../server/media/codec.js';

/** ComfyUI's upscale_method choices, in its order, so its prompts validate unchanged. */
export const UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] as const;
export type UpscaleMethod = (typeof UPSCALE_METHODS)[number];

const KERNELS: Record<Exclude<UpscaleMethod, 'area'>, ResizeKernel> = {
  'nearest-exact': 'nearest',
  bilinear: 'linear',
  bicubic: 'cubic',
  lanczos: 'lanczos3',
};

/** Python's round() (half to even), which ComfyUI's scaling nodes use for the sizes they compute. */
export function pythonRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Pixels a scaled batch may hold in all (a float RGB batch of this size is 768 MB). */
export const MAX_SCALED_PIXELS = 64 * 1024 * 1024;

/** The centred window of `image` with aspect ratio targetW/targetH (a copy; the whole image if it already fits). */
export function centreCrop(image: ImageBatch, targetW: number, targetH: number): ImageBatch {
  const want = targetW / targetH;
  let cropW = image.width;
  let cropH = image.height;
  if (image.width / image.height > want) cropW = Math.max(1, Math.round(image.height * want));
  else cropH = Math.max(1, Math.round(image.width / want));
  if (cropW === image.width && cropH === image.height) return image;
  const x0 = Math.floor((image.width - cropW) / 2);
  const y0 = Math.floor((image.height - cropH) / 2);
  const out = new Float32Array(image.count * cropW * cropH * 3);
  for (let b = 0; b < image.count; b++) {
    for (let y = 0; y < cropH; y++) {
      const src = ((b * image.height + y0 + y) * image.width + x0) * 3;
      out.set(image.pixels.subarray(src, src + cropW * 3), ((b * cropH + y) * cropW) * 3);
    }
  }
  return makeImageBatch(image.count, cropH, cropW, out, image.meta.map((m) => ({ ...m })));
}

/** Input range [start, end) that output index i averages, as adaptive average pooling divides an axis. */
function poolRange(i: number, outSize: number, inSize: number): [number, number] {
  return [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)];
}

/** "area": every output pixel is the plain mean of the input pixels its cell touches (separable, rows first). */
function areaResize(image: ImageBatch, width: number, height: number): ImageBatch {
  const { count, width: inW, height: inH } = image;
  const rows = new Float32Array(inH * width * 3);
  const out = new Float32Array(count * height * width * 3);
  for (let b = 0; b < count; b++) {
    const src = image.pixels.subarray(b * inH * inW * 3, (b + 1) * inH * inW * 3);
    for (let x = 0; x < width; x++) {
      const [x0, x1] = poolRange(x, width, inW);
      for (let y = 0; y < inH; y++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = x0; k < x1; k++) sum += src[(y * inW + k) * 3 + c]!;
          rows[(y * width + x) * 3 + c] = sum / (x1 - x0);
        }
      }
    }
    const base = b * height * width * 3;
    for (let y = 0; y < height; y++) {
      const [y0, y1] = poolRange(y, height, inH);
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = y0; k < y1; k++) sum += rows[(k * width + x) * 3 + c]!;
          out[base + (y * width + x) * 3 + c] = sum / (y1 - y0);
        }
      }
    }
  }
  return makeImageBatch(count, height, width, out, image.meta.map((m) => ({ ...m })));
}

/**
 * Resizes every item to width x height with a ComfyUI upscale method.
 * @throws RangeError naming `inputs` when the size is not a positive integer or the batch would be too large.
 */
export async function scaleImage(image: ImageBatch, width: number, height: number, method: UpscaleMethod, inputs = 'width, height'): Promise<ImageBatch> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${inputs}: the scaled size ${width}x${height} must be at least 1x1 pixels`);
  }
  if (image.count * width * height > MAX_SCALED_PIXELS) {
    throw new RangeError(`${inputs}: ${image.count} image(s) of ${width}x${height} exceed the ${MAX_SCALED_PIXELS.toLocaleString('en-US')} pixels a scaled batch may hold`);
  }
  if (width === image.width && height === image.height) return image;
  if (method === 'area') return areaResize(image, width, height);
  const kernel = KERNELS[method];
  if (!kernel) throw new RangeError(`upscale_method: "${String(method)}" is not one of ${UPSCALE_METHODS.join(', ')}`);
  return resizeImage(image, width, height, kernel);
}
