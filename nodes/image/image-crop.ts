// Crop Image: ComfyUI's ImageCrop (class id, inputs, and its clamping: a window running off the image is cut at
// the edge, a corner past it moves to the last pixel), so its prompts run unchanged. Kontext works on small
// images; cropping first edits a detail at the model's full resolution.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage } from '../sockets.js';
import { cropWindow, MAX_SIDE } from './resample.js';

export const imageCropNode = defineNode({
  id: 'ImageCrop',
  displayName: 'Crop Image',
  category: 'image/transform',
  description: 'Cuts a width x height window out of every image of the batch, its top-left corner at x, y.',
  inputs: {
    required: {
      image: { type: 'IMAGE', tooltip: 'The images to crop (a strength sweep keeps its strengths).' },
      width: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1, tooltip: 'Window width; cut at the right edge.' },
      height: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1, tooltip: 'Window height; cut at the bottom edge.' },
      x: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Left edge of the window, in pixels from the left.' },
      y: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Top edge of the window, in pixels from the top.' },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'The cropped images.' }],
  run(_ctx, inputs) {
    const image = expectImage(inputs.image, 'image');
    // ComfyUI's rule: the corner stays inside the image, then the window is cut at its edges.
    const x = Math.min(Number(inputs.x), image.width - 1);
    const y = Math.min(Number(inputs.y), image.height - 1);
    const width = Math.min(Number(inputs.width), image.width - x);
    const height = Math.min(Number(inputs.height), image.height - y);
    return { outputs: [cropWindow(image, x, y, width, height)] };
  },
});
