// Upscale Image By: ComfyUI's ImageScaleBy (class id, inputs, choices), so its prompts run unchanged: both sides
// times one factor, rounded as ComfyUI rounds them.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage } from '../sockets.js';
import { pythonRound, scaleImage, SCALE_INPUTS, type UpscaleMethod } from './resample.js';

export const imageScaleByNode = defineNode({
  id: 'ImageScaleBy',
  displayName: 'Upscale Image By',
  category: 'image/upscaling',
  description: 'Resizes every image of the batch by a factor, keeping its aspect ratio (2 doubles each side).',
  inputs: {
    required: {
      ...SCALE_INPUTS,
      scale_by: { type: 'FLOAT', default: 1, min: 0.01, max: 8, step: 0.01, tooltip: 'The factor for both sides: below 1 shrinks, above 1 enlarges.' },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'The resized images.' }],
  async run(_ctx, inputs) {
    const image = expectImage(inputs.image, 'image');
    const factor = Number(inputs.scale_by);
    const width = Math.max(1, pythonRound(image.width * factor));
    const height = Math.max(1, pythonRound(image.height * factor));
    return { outputs: [await scaleImage(image, width, height, inputs.upscale_method as UpscaleMethod, 'scale_by')] };
  },
});
