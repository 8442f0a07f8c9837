// Convert Mask to Image: ComfyUI's MaskToImage, so its prompts run unchanged: a mask shown in Preview Image, or
// blurred with Image Blur and turned back into a softer mask.
import { defineNode } from '../../server/engine/node-definition.js';
import { makeImageBatch, type ImageBatch } from '../sockets.js';
import { expectMask, type MaskBatch } from './mask.js';

/** The mask as a grey IMAGE batch: white where masked, black where not. */
export function maskImage(mask: MaskBatch): ImageBatch {
  const pixels = new Float32Array(mask.values.length * 3);
  mask.values.forEach((v, i) => pixels.fill(v, i * 3, i * 3 + 3));
  return makeImageBatch(mask.count, mask.height, mask.width, pixels);
}

export const maskToImageNode = defineNode({
  id: 'MaskToImage',
  displayName: 'Convert Mask to Image',
  category: 'mask',
  description: 'A grey image of the mask: white where masked, black where not.',
  inputs: { required: { mask: { type: 'MASK', tooltip: 'The mask to show.' } } },
  outputs: [{ type: 'IMAGE', name: 'IMAGE' }],
  run(_ctx, inputs) {
    return { outputs: [maskImage(expectMask(inputs.mask, 'mask'))] };
  },
});
