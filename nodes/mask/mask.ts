// MASK: B single-channel planes in [0,1] (ComfyUI's layout), where 1 marks the area to edit. Load Image
// derives it from the file's alpha (transparent = 1), as ComfyUI does, so existing prompts keep their links.
import { expectKind, type ImageBatch } from '../sockets.js';
import { MAX_SCALED_PIXELS } from '../image/resample.js';

export interface MaskBatch {
  kind: 'MASK';
  count: number;
  height: number;
  width: number;
  /** length count*height*width */
  values: Float32Array;
}

export function makeMaskBatch(count: number, height: number, width: number, values?: Float32Array): MaskBatch {
  const size = count * height * width;
  const data = values ?? new Float32Array(size);
  if (data.length !== size) throw new Error(`mask data has ${data.length} values, expected ${count}x${height}x${width} = ${size}`);
  return { kind: 'MASK', count, height, width, values: data };
}

/** Throws Error unless `value` is a MASK batch. */
export function expectMask(value: unknown, input: string): MaskBatch {
  return expectKind<MaskBatch>(value, 'MASK', input);
}

/** A mask from an alpha plane (1 = opaque), or all zeros when the image had no alpha. */
export function maskFromAlpha(height: number, width: number, alpha: Float32Array | null): MaskBatch {
  const values = new Float32Array(height * width);
  if (alpha) for (let i = 0; i < values.length; i++) values[i] = 1 - alpha[i]!;
  return makeMaskBatch(1, height, width, values);
}

/** One plane of the mask, the items repeating when the mask holds fewer than asked for (ComfyUI's rule). */
export function maskPlane(mask: MaskBatch, index: number): Float32Array {
  const size = mask.height * mask.width;
  const item = index % mask.count;
  return mask.values.subarray(item * size, (item + 1) * size);
}

/** Source index and weight pair of torch's bilinear interpolation (align_corners off) along one axis. */
function bilinearTaps(outSize: number, inSize: number): { low: Int32Array; high: Int32Array; frac: Float32Array } {
  const low = new Int32Array(outSize);
  const high = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const at = Math.max(0, (i + 0.5) * scale - 0.5);
    low[i] = Math.min(Math.floor(at), inSize - 1);
    high[i] = Math.min(low[i]! + 1, inSize - 1);
    frac[i] = at - low[i]!;
  }
  return { low, high, frac };
}

/**
 * Every plane resized to width x height, bilinearly as ComfyUI resizes a mask to the image it composites
 * (torch's interpolate, corners not aligned), so a mask painted on a full-size photo fits a small edit.
 * @throws RangeError naming `input` when the result would be too large.
 */
export function resizeMask(mask: MaskBatch, width: number, height: number, input = 'mask'): MaskBatch {
  if (width === mask.width && height === mask.height) return mask;
  if (mask.count * width * height > MAX_SCALED_PIXELS) {
    throw new RangeError(`${input}: ${mask.count} mask(s) of ${width}x${height} exceed the ${MAX_SCALED_PIXELS.toLocaleString('en-US')} pixels a batch may hold`);
  }
  const cols = bilinearTaps(width, mask.width);
  const rows = bilinearTaps(height, mask.height);
  const out = new Float32Array(mask.count * width * height);
  for (let b = 0; b < mask.count; b++) {
    const plane = maskPlane(mask, b);
    for (let y = 0; y < height; y++) {
      const top = rows.low[y]! * mask.width;
      const bottom = rows.high[y]! * mask.width;
      const fy = rows.frac[y]!;
      for (let x = 0; x < width; x++) {
        const l = cols.low[x]!;
        const r = cols.high[x]!;
        const fx = cols.frac[x]!;
        const upper = plane[top + l]! + (plane[top + r]! - plane[top + l]!) * fx;
        const lower = plane[bottom + l]! + (plane[bottom + r]! - plane[bottom + l]!) * fx;
        out[(b * height + y) * width + x] = upper + (lower - upper) * fy;
      }
    }
  }
  return makeMaskBatch(mask.count, height, width, out);
}

/** The window of every plane with its top-left corner at (x, y) (a copy; it must lie inside the mask). */
export function cropMask(mask: MaskBatch, window: { x: number; y: number; width: number; height: number }): MaskBatch {
  const { x, y, width, height } = window;
  if (x === 0 && y === 0 && width === mask.width && height === mask.height) return mask;
  const values = new Float32Array(mask.count * width * height);
  for (let b = 0; b < mask.count; b++) {
    for (let row = 0; row < height; row++) {
      const from = (b * mask.height + y + row) * mask.width + x;
      values.set(mask.values.subarray(from, from + width), (b * height + row) * width);
    }
  }
  return makeMaskBatch(mask.count, height, width, values);
}

/** The colour channels a mask can be read from, in pixel order. */
export const COLOUR_CHANNELS = ['red', 'green', 'blue'] as const;

/** One colour channel of every image of the batch as a mask (1 where the channel is full). */
export function colourChannelMask(image: ImageBatch, channel: (typeof COLOUR_CHANNELS)[number]): MaskBatch {
  const offset = COLOUR_CHANNELS.indexOf(channel);
  const values = new Float32Array(image.count * image.height * image.width);
  for (let i = 0; i < values.length; i++) values[i] = image.pixels[i * 3 + offset]!;
  return makeMaskBatch(image.count, image.height, image.width, values);
}
