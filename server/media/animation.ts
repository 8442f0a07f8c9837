// Strength animations: the frames of a sweep played in order (optionally back again), encoded by sharp as an
// animated WebP or GIF. Frames are stacked vertically as one raw image with pageHeight, which is how libvips
// represents an animation.
import sharp from 'sharp';
import type { ImageBatch } from '../../nodes/sockets.js';
import { resizeImage, toRgb8 } from './codec.js';

export type AnimationFormat = 'webp' | 'gif';

export interface AnimationOptions {
  /** Frames per second (0.1 .. 60). */
  fps: number;
  /** Play forward then backward, without repeating the end frames (a seamless loop). */
  pingPong?: boolean;
  /** Image to show first (the unedited source), resized to the frames' size if needed. */
  source?: ImageBatch | null;
  /** 0 loops forever (default). */
  loop?: number;
  /** WebP quality 1..100 (default 90); GIF ignores it. */
  quality?: number;
}

/** The frame order for `count` frames, ping-pong or not: [0..n-1] or [0..n-1, n-2..1]. */
export function frameOrder(count: number, pingPong: boolean): number[] {
  const forward = Array.from({ length: count }, (_, i) => i);
  if (!pingPong || count < 3) return pingPong && count === 2 ? [0, 1] : forward;
  return [...forward, ...forward.slice(1, -1).reverse()];
}

/**
 * Encodes the batch (after the optional source) as one animated image and returns its bytes and frame count.
 * Throws RangeError for a bad fps and Error for an empty batch.
 */
export async function encodeAnimation(images: ImageBatch, format: AnimationFormat, options: AnimationOptions): Promise<{ data: Buffer; frames: number }> {
  if (images.count < 1) throw new Error('an animation needs at least one frame');
  if (!Number.isFinite(options.fps) || options.fps < 0.1 || options.fps > 60) {
    throw new RangeError(`fps ${options.fps} must be between 0.1 and 60`);
  }
  const { width, height } = images;
  const stills: Buffer[] = [];
  if (options.source) {
    const fitted = options.source.width === width && options.source.height === height ? options.source : await resizeImage(options.source, width, height);
    stills.push(toRgb8(fitted, 0));
  }
  for (let i = 0; i < images.count; i++) stills.push(toRgb8(images, i));
  const order = frameOrder(stills.length, options.pingPong ?? false);
  const frameBytes = width * height * 3;
  const stacked = Buffer.allocUnsafe(order.length * frameBytes);
  order.forEach((frame, i) => stills[frame]!.copy(stacked, i * frameBytes));

  const delay = Array.from({ length: order.length }, () => Math.round(1000 / options.fps));
  const loop = options.loop ?? 0;
  const input = sharp(stacked, { raw: { width, height: height * order.length, channels: 3, pageHeight: height } });
  const data =
    format === 'webp'
      ? await input.webp({ quality: options.quality ?? 90, loop, delay, effort: 2 }).toBuffer()
      : await input.gif({ loop, delay, effort: 3 }).toBuffer();
  return { data, frames: order.length };
}

/** Frame count and size of an animated image's bytes, read back through libvips (tests and checks). */
export async function readAnimationInfo(bytes: Uint8Array): Promise<{ format: string; frames: number; width: number; height: number; delay: number[] }> {
  const meta = await sharp(bytes, { animated: true }).metadata();
  return {
    format: meta.format ?? 'unknown',
    frames: meta.pages ?? 1,
    width: meta.width ?? 0,
    height: meta.pageHeight ?? meta.height ?? 0,
    delay: meta.delay ?? [],
  };
}
