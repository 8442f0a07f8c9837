// Batch Images: ComfyUI's ImageBatch (class id, inputs, and its rule that the second image is resized to the
// first's size, bilinear with a centre crop), so its prompts run unchanged. Strengths ride along, so two sweeps
// joined this way still label their frames in a Strength Grid.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage, makeImageBatch } from '../sockets.js';
import { fitToSize } from './resample.js';

export const imageBatchNode = defineNode({
  id: 'ImageBatch',
  displayName: 'Batch Images',
  category: 'image',
  description: 'Joins two image batches into one: the images of image1, then those of image2 (resized to image1\'s size when they differ).',
  inputs: {
    required: {
      image1: { type: 'IMAGE', tooltip: 'The first images; they decide the size.' },
      image2: { type: 'IMAGE', tooltip: 'The images appended after them; cropped to image1\'s shape and resized if needed.' },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'One batch holding both.' }],
  async run(_ctx, inputs) {
    const first = expectImage(inputs.image1, 'image1');
    const second = await fitToSize(expectImage(inputs.image2, 'image2'), first.width, first.height, 'bilinear', 'image2');
    const pixels = new Float32Array(first.pixels.length + second.pixels.length);
    pixels.set(first.pixels);
    pixels.set(second.pixels, first.pixels.length);
    const meta = [...first.meta, ...second.meta].map((m) => ({ ...m }));
    return { outputs: [makeImageBatch(first.count + second.count, first.height, first.width, pixels, meta)] };
  },
});
