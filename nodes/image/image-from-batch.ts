// Image From Batch: ComfyUI's class id, inputs and clamping, so existing prompts run unchanged. Here it is how a
// sweep's frame is picked out: the strength (and label) of each kept frame rides along for grids and later edits.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage, makeImageBatch } from '../sockets.js';

export const imageFromBatchNode = defineNode({
  id: 'ImageFromBatch',
  displayName: 'Image From Batch',
  category: 'image/batch',
  description:
    'Takes some images out of a batch: `length` images from position `batch_index` (0 is the first). Use it to pick ' +
    'one strength out of a sweep, to save it or to edit it further.',
  inputs: {
    required: {
      image: { type: 'IMAGE', tooltip: 'The batch, for example a decoded strength sweep.' },
      batch_index: {
        type: 'INT',
        default: 0,
        min: 0,
        max: 4095,
        step: 1,
        tooltip: 'Position of the first image to take (0 is the first). Past the end, the last image is taken.',
      },
      length: {
        type: 'INT',
        default: 1,
        min: 1,
        max: 4096,
        step: 1,
        tooltip: 'How many images to take; fewer when the batch ends first.',
      },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'The images taken, with their strengths and labels.' }],
  run(_ctx, inputs) {
    const image = expectImage(inputs.image, 'image');
    // ComfyUI clamps rather than failing, and prompts written for it count on that.
    const start = Math.min(image.count - 1, Number(inputs.batch_index));
    const count = Math.min(image.count - start, Number(inputs.length));
    if (start === 0 && count === image.count) return { outputs: [image] };
    const item = image.height * image.width * 3;
    const pixels = image.pixels.slice(start * item, (start + count) * item);
    const meta = image.meta.slice(start, start + count).map((m) => ({ ...m }));
    return { outputs: [makeImageBatch(count, image.height, image.width, pixels, meta)] };
  },
});
