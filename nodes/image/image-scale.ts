// Upscale Image: ComfyUI's ImageScale (class id, inputs, choices, 0 = keep the aspect ratio), so its prompts run
// unchanged. Kontext works at small sizes; this is how an edit is enlarged to save, or a source resized by hand.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage } from '../sockets.js';
import { centreCrop, MAX_SIDE, pythonRound, scaleImage, SCALE_INPUTS, type UpscaleMethod } from './resample.js';

export const imageScaleNode = defineNode({
  id: 'ImageScale',
  displayName: 'Upscale Image',
  category: 'image/upscaling',
  description: 'Resizes every image of the batch to a width and height. A 0 keeps the aspect ratio from the other side.',
  inputs: {
    required: {
      ...SCALE_INPUTS,
      width: { type: 'INT', default: 512, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Target width in pixels; 0 follows the height and the aspect ratio.' },
      height: { type: 'INT', default: 512, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Target height in pixels; 0 follows the width and the aspect ratio.' },
      crop: {
        type: 'COMBO',
        choices: ['disabled', 'center'],
        default: 'disabled',
        tooltip: 'disabled: stretch to the new shape. center: trim the edges to the new shape first.',
      },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'The resized images.' }],
  async run(_ctx, inputs) {
    const image = expectImage(inputs.image, 'image');
    let width = Number(inputs.width);
    let height = Number(inputs.height);
    if (width === 0 && height === 0) return { outputs: [image] };
    if (width === 0) width = Math.max(1, pythonRound((image.width * height) / image.height));
    if (height === 0) height = Math.max(1, pythonRound((image.height * width) / image.width));
    const fitted = inputs.crop === 'center' ? centreCrop(image, width, height) : image;
    return { outputs: [await scaleImage(fitted, width, height, inputs.upscale_method as UpscaleMethod)] };
  },
});
