// Per-step previews: the predicted clean images of a batch side by side in one small JPEG, so a sweep shows every
// strength taking shape at once. Previews are made beside the denoise rather than inside it: the loop hands over
// the newest prediction and goes on, and a preview still being made when a newer one arrives makes the newer one
// next (older ones are dropped). With slow steps (real models) that is one preview per step; with steps faster
// than a preview it keeps the loop from waiting on JPEG encoding. The pacing (at most so many predictions a
// second) happens in the loop itself (Kontext Denoise's `previewEveryMs`), so the steps in between skip the work.
import { makeImageBatch } from '../sockets.js';
import { encodeJpeg } from '../../server/media/codec.js';
import { modelOutputToImage, type FloatTensor } from './math/index.js';

/** Most items shown side by side; larger batches are subsampled evenly. */
const MAX_ITEMS = 8;

/** A decoded NCHW [-1,1] batch as one JPEG strip (items left to right). Throws Error on a malformed tensor. */
export async function previewStrip(decoded: FloatTensor): Promise<Uint8Array> {
  const { pixels, count, height, width } = modelOutputToImage(decoded);
  const shown = Math.min(count, MAX_ITEMS);
  const stripWidth = shown * width;
  const strip = new Float32Array(height * stripWidth * 3);
  for (let k = 0; k < shown; k++) {
    const item = Math.round((k * (count - 1)) / Math.max(1, shown - 1));
    for (let y = 0; y < height; y++) {
      const src = (item * height + y) * width * 3;
      strip.set(pixels.subarray(src, src + width * 3), (y * stripWidth + k * width) * 3);
    }
  }
  return encodeJpeg(makeImageBatch(1, height, stripWidth, strip), 0, 80);
}

/** Turns predicted latents into preview images off the denoise loop's path, newest first, never out of order. */
export class PreviewPump {
  private pending: FloatTensor | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  /** Previews made and sent (the rest were superseded by newer predictions). */
  sent = 0;

  constructor(
    private readonly make: (x0: FloatTensor) => Promise<Uint8Array>,
    private readonly send: (jpeg: Uint8Array) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Offers the newest prediction; returns at once. */
  offer(x0: FloatTensor): void {
    if (this.closed) return;
    this.pending = x0;
    if (!this.running) this.running = this.pump();
  }

  private async pump(): Promise<void> {
    try {
      while (this.pending && !this.closed) {
        const x0 = this.pending;
        this.pending = null;
        // A preview being made when the loop ends is still sent: close() waits for it, so it arrives in order.
        const jpeg = await this.make(x0);
        this.send(jpeg);
        this.sent++;
      }
    } catch (error) {
      // A failed preview must never fail the edit.
      this.onError(error);
    } finally {
      this.running = null;
    }
  }

  /** Stops taking predictions, drops the unsent one and waits for a preview being made (so none arrives late). */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = null;
    await this.running;
  }
}
