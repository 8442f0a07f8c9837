// The mask editor's pixel work, free of the DOM so it runs in Node tests: a coverage plane at the image's own
// resolution (255 = masked, the file's alpha 0, as Load Image reads it), brush strokes, and the conversions to and
// from the alpha channel that /view?channel=a serves and /upload/mask takes.

/** Mask coverage per pixel, row-major: 0 untouched, 255 fully masked; values between survive a round trip. */
export interface MaskPlane {
  width: number;
  height: number;
  values: Uint8Array;
}

/** A pixel rectangle (integer bounds, non-empty). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A point in image pixels (x right, y down; pixel (i, j) spans [i, i+1) x [j, j+1)). */
export interface ImagePoint {
  x: number;
  y: number;
}

/** RGB of the overlay that shows masked pixels, and its opacity at full coverage. */
export const OVERLAY_COLOUR: readonly [number, number, number] = [129, 199, 132];
export const OVERLAY_OPACITY = 0.6;

/** The prefix ComfyUI front ends give mask files saved to input/clipspace/. */
export const CLIPSPACE_SUBFOLDER = 'clipspace';

/** An empty mask. */
export function emptyMask(width: number, height: number): MaskPlane {
  return { width, height, values: new Uint8Array(width * height) };
}

/**
 * The mask held by an image's alpha, read from RGBA pixels of the greyscale alpha plane (/view?channel=a, where
 * white is opaque): coverage = 255 - grey. Throws when the pixel count does not match the size.
 */
export function maskFromAlphaPlane(rgba: ArrayLike<number>, width: number, height: number): MaskPlane {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} RGBA bytes for ${width}x${height}, got ${rgba.length}`);
  const mask = emptyMask(width, height);
  for (let p = 0; p < mask.values.length; p++) mask.values[p] = 255 - rgba[p * 4]!;
  return mask;
}

/** RGBA pixels for the PNG /upload/mask takes: black, alpha 0 where masked and 255 where untouched. */
export function maskToAlphaPixels(mask: MaskPlane): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(mask.values.length * 4);
  for (let p = 0; p < mask.values.length; p++) out[p * 4 + 3] = 255 - mask.values[p]!;
  return out;
}

/** Swaps masked and untouched pixels in place. */
export function invertMask(mask: MaskPlane): void {
  for (let p = 0; p < mask.values.length; p++) mask.values[p] = 255 - mask.values[p]!;
}

/** Unmasks every pixel in place. */
export function clearMask(mask: MaskPlane): void {
  mask.values.fill(0);
}

/** Pixels with any coverage. */
export function maskedPixelCount(mask: MaskPlane): number {
  let count = 0;
  for (const v of mask.values) if (v > 0) count++;
  return count;
}

/** The whole plane as a rectangle. */
export function fullRect(mask: MaskPlane): PixelRect {
  return { x: 0, y: 0, width: mask.width, height: mask.height };
}

/**
 * Paints (value 255) or erases (value 0) a round brush of `diameter` pixels dragged from `from` to `to`: every
 * pixel whose centre lies within the brush radius of the segment. One pointer event to the next is one call, so
 * a fast drag still leaves an unbroken line. `softness` (0 to 1) is the outer share of the radius over which the
 * brush fades out: painting only raises coverage and erasing only lowers it, so overlapping dabs of one stroke do
 * not build up. Returns the changed area's bounds, or null when it missed the image.
 */
export function paintSegment(mask: MaskPlane, from: ImagePoint, to: ImagePoint, diameter: number, value: number, softness = 0): PixelRect | null {
  // A brush narrower than a pixel would slip between pixel centres: it always covers the pixel under it.
  const radius = Math.max(diameter / 2, Math.SQRT1_2);
  const x0 = Math.max(0, Math.floor(Math.min(from.x, to.x) - radius));
  const y0 = Math.max(0, Math.floor(Math.min(from.y, to.y) - radius));
  const x1 = Math.min(mask.width - 1, Math.ceil(Math.max(from.x, to.x) + radius));
  const y1 = Math.min(mask.height - 1, Math.ceil(Math.max(from.y, to.y) + radius));
  if (x0 > x1 || y0 > y1) return null;
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const lengthSquared = dx * dx + dy * dy;
  const limit = radius * radius;
  // Full strength inside `hard`, fading linearly to nothing at the radius.
  const hard = radius * (1 - Math.min(1, Math.max(0, softness)));
  const paint = value > 0;
  let touched = false;
  for (let y = y0; y <= y1; y++) {
    const cy = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const cx = x + 0.5;
      // Distance from the pixel centre to the nearest point of the segment.
      const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((cx - from.x) * dx + (cy - from.y) * dy) / lengthSquared));
      const ex = from.x + t * dx - cx;
      const ey = from.y + t * dy - cy;
      const distanceSquared = ex * ex + ey * ey;
      if (distanceSquared <= limit) {
        const distance = Math.sqrt(distanceSquared);
        const strength = distance <= hard ? 1 : (radius - distance) / (radius - hard);
        const p = y * mask.width + x;
        const level = Math.round(255 * strength);
        mask.values[p] = paint ? Math.max(mask.values[p]!, level) : Math.min(mask.values[p]!, 255 - level);
        touched = true;
      }
    }
  }
  return touched ? { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } : null;
}

/** Writes the overlay colour, with coverage as opacity, into `rgba` (the whole plane's pixels) over `rect`. */
export function renderOverlay(mask: MaskPlane, rgba: Uint8ClampedArray, rect: PixelRect): void {
  const [r, g, b] = OVERLAY_COLOUR;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const p = y * mask.width + x;
      const o = p * 4;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = Math.round(mask.values[p]! * OVERLAY_OPACITY);
    }
  }
}

/** A fresh name for a saved mask, ComfyUI's "clipspace-mask-<time>.png". */
export function clipspaceMaskName(time = Date.now()): string {
  return `clipspace-mask-${time}.png`;
}
