// Per-step previews: the predicted clean images of a batch side by side in one small JPEG, so a sweep shows
// every strength taking shape at once.
import { makeImageBatch } from '../sockets.js';
import { encodeJpeg } from '../../server/media/codec.js';
import { modelOutputToImage, type FloatTensor } from './math/index.js';

/** Widest preview strip sent to clients, in pixels; wider batches are subsampled by item. */
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
      const src = ((item * height + y) * width) * 3;
      strip.set(pixels.subarray(src, src + width * 3), (y * stripWidth + k * width) * 3);
    }
  }
  return encodeJpeg(makeImageBatch(1, height, stripWidth, strip), 0, 80);
}
