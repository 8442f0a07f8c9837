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

/** The inputs both scaling nodes open with, as ComfyUI declares them. */
export const SCALE_INPUTS = {
  image: { type: 'IMAGE', tooltip: 'The images to resize (a strength sweep keeps its strengths).' },
  upscale_method: {
    type: 'COMBO',
    choices: UPSCALE_METHODS,
    default: 'nearest-exact',
    tooltip: 'nearest-exact keeps hard pixels; bilinear and bicubic are smooth; area averages (best for shrinking); lanczos is the sharpest.',
  },
} as const;

/** ComfyUI's MAX_RESOLUTION, the largest side its image nodes accept; MAX_SCALED_PIXELS is the real limit. */
export const MAX_SIDE = 16384;

/** Pixels a scaled batch may hold in all (a float RGB batch of this size is 768 MB). */
export const MAX_SCALED_PIXELS = 64 * 1024 * 1024;

/** The window of every item with its top-left corner at (x, y) (a copy; it must lie inside the image). */
export function cropWindow(image: ImageBatch, x: number, y: number, width: number, height: number): ImageBatch {
  if (x === 0 && y === 0 && width === image.width && height === image.height) return image;
  const pixels = new Float32Array(image.count * width * height * 3);
  for (let b = 0; b < image.count; b++) {
    for (let row = 0; row < height; row++) {
      const from = ((b * image.height + y + row) * image.width + x) * 3;
      pixels.set(image.pixels.subarray(from, from + width * 3), (b * height + row) * width * 3);
    }
  }
  return makeImageBatch(image.count, height, width, pixels, image.meta.map((m) => ({ ...m })));
}

/** Where the centred window with aspect ratio targetW/targetH lies in a width x height picture (all of it if it fits). */
export function centreWindow(width: number, height: number, targetW: number, targetH: number): { x: number; y: number; width: number; height: number } {
  const want = targetW / targetH;
  let cropW = width;
  let cropH = height;
  if (width / height > want) cropW = Math.max(1, Math.round(height * want));
  else cropH = Math.max(1, Math.round(width / want));
  return { x: Math.floor((width - cropW) / 2), y: Math.floor((height - cropH) / 2), width: cropW, height: cropH };
}

/** The centred window of `image` with aspect ratio targetW/targetH (a copy; the whole image if it already fits). */
export function centreCrop(image: ImageBatch, targetW: number, targetH: number): ImageBatch {
  const window = centreWindow(image.width, image.height, targetW, targetH);
  return cropWindow(image, window.x, window.y, window.width, window.height);
}

/** Input range [start, end) that output index i averages, as adaptive average pooling divides an axis. */
function poolRange(i: number, outSize: number, inSize: number): [number, number] {
  return [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)];
}

/** Means along one axis: `src` is `outer` blocks of inLen x inner values; returns outer blocks of outLen x inner. */
function poolAxis(src: Float32Array, outer: number, inLen: number, outLen: number, inner: number): Float32Array {
  const dst = new Float32Array(outer * outLen * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < outLen; i++) {
      const [start, end] = poolRange(i, outLen, inLen);
      for (let c = 0; c < inner; c++) {
        let sum = 0;
        for (let k = start; k < end; k++) sum += src[(o * inLen + k) * inner + c]!;
        dst[(o * outLen + i) * inner + c] = sum / (end - start);
      }
    }
  }
  return dst;
}

/** "area": every output pixel is the plain mean of the input pixels its cell touches (rows, then columns). */
function areaResize(image: ImageBatch, width: number, height: number): ImageBatch {
  const { count, width: inW, height: inH } = image;
  const narrowed = poolAxis(image.pixels, count * inH, inW, width, 3);
  const pixels = poolAxis(narrowed, count, inH, height, width * 3);
  return makeImageBatch(count, height, width, pixels, image.meta.map((m) => ({ ...m })));
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

/**
 * `image` at width x height: as it is when it already has that size, else centre-cropped to that shape and resized
 * (how ComfyUI's two-image nodes fit the second image to the first).
 */
export async function fitToSize(image: ImageBatch, width: number, height: number, method: UpscaleMethod, input: string): Promise<ImageBatch> {
  if (image.width === width && image.height === height) return image;
  return scaleImage(centreCrop(image, width, height), width, height, method, input);
}
