// Composite Masked: ComfyUI's ImageCompositeMasked (class id, inputs, placement and clipping, the mask resized to
// the source), so its prompts run unchanged. With Kontext it confines an edit to a painted area: the edit is the
// source, the unedited image the destination, and only the masked pixels change.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage, makeImageBatch, type ImageBatch } from '../sockets.js';
import { expectMask, maskPlane, resizeMask } from '../mask/mask.js';
import { MAX_SIDE, scaleImage } from './resample.js';

/** Item `index` of a batch, the items repeating when it holds fewer (ComfyUI's repeat_to_batch_size). */
function itemOffset(image: ImageBatch, index: number): number {
  return (index % image.count) * image.height * image.width * 3;
}

export const imageCompositeMaskedNode = defineNode({
  id: 'ImageCompositeMasked',
  displayName: 'Composite Masked',
  category: 'image',
  description:
    'Pastes source onto destination with its top-left corner at x, y, blended by the mask (1 = source). A sweep ' +
    'pasted onto one unedited image gives one composite per strength.',
  inputs: {
    required: {
      destination: { type: 'IMAGE', tooltip: 'The background, e.g. the unedited image.' },
      source: { type: 'IMAGE', tooltip: 'What is pasted, e.g. the edit from Decode.' },
      x: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Left edge of the source on the destination, in pixels.' },
      y: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Top edge of the source on the destination, in pixels.' },
      resize_source: { type: 'BOOLEAN', default: false, tooltip: 'Resize the source to the destination\'s size first (bilinear).' },
    },
    optional: {
      mask: { type: 'MASK', tooltip: 'Where the source shows (1) and where the destination stays (0); resized to the source. Without it the whole source is pasted.' },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'The destination with the source pasted in; a source sweep keeps its strengths.' }],
  async run(_ctx, inputs) {
    const destination = expectImage(inputs.destination, 'destination');
    let source = expectImage(inputs.source, 'source');
    if (inputs.resize_source === true) source = await scaleImage(source, destination.width, destination.height, 'bilinear', 'source');
    const mask = inputs.mask === undefined ? null : resizeMask(expectMask(inputs.mask, 'mask'), source.width, source.height);
    // ComfyUI keeps the destination's batch size; one destination under a sweep is widened to the sweep instead,
    // which is what pasting an edit's strengths back into its one source needs.
    const count = destination.count === 1 ? source.count : destination.count;
    const left = Math.min(Number(inputs.x), destination.width);
    const top = Math.min(Number(inputs.y), destination.height);
    const visibleW = Math.min(source.width, destination.width - left);
    const visibleH = Math.min(source.height, destination.height - top);
    const pixels = new Float32Array(count * destination.height * destination.width * 3);
    const meta = [];
    for (let b = 0; b < count; b++) {
      const out = pixels.subarray(b * destination.height * destination.width * 3, (b + 1) * destination.height * destination.width * 3);
      out.set(destination.pixels.subarray(itemOffset(destination, b), itemOffset(destination, b) + out.length));
      const from = itemOffset(source, b);
      const weights = mask ? maskPlane(mask, b) : null;
      for (let row = 0; row < visibleH; row++) {
        for (let col = 0; col < visibleW; col++) {
          const m = weights ? weights[row * source.width + col]! : 1;
          const s = from + (row * source.width + col) * 3;
          const d = ((top + row) * destination.width + left + col) * 3;
          for (let c = 0; c < 3; c++) out[d + c] = m * source.pixels[s + c]! + (1 - m) * out[d + c]!;
        }
      }
      meta.push({ ...destination.meta[b % destination.count], ...source.meta[b % source.count] });
    }
    return { outputs: [makeImageBatch(count, destination.height, destination.width, pixels, meta)] };
  },
});
