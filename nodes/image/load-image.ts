// Load Image: ComfyUI's class id and input name, so existing prompts run unchanged. The choices are the files
// in the input area; the server binds them to its own area when it builds the registry (see server/app.ts).
import { defineNode } from '../../server/engine/node-definition.js';
import { maskFromAlpha } from '../mask/mask.js';
import { INPUT_IMAGE_HOOKS, readInputImage } from './input-image.js';

export const loadImageNode = defineNode({
  id: 'LoadImage',
  displayName: 'Load Image',
  category: 'image',
  description: 'Loads an uploaded image from the input folder as an IMAGE batch of one, plus its alpha as a MASK.',
  inputs: {
    required: {
      image: { type: 'COMBO', choices: [], imageUpload: true, tooltip: 'An image uploaded to the input folder.' },
    },
  },
  outputs: [
    { type: 'IMAGE', name: 'IMAGE' },
    { type: 'MASK', name: 'MASK', tooltip: 'Transparent pixels of the file (1 = transparent).' },
  ],
  // The file can change under the same name: its content hash keys the cache.
  ...INPUT_IMAGE_HOOKS,
  async run(ctx, inputs) {
    const { image, alpha } = await readInputImage(ctx, String(inputs.image));
    return { outputs: [image, maskFromAlpha(image.height, image.width, alpha)] };
  },
});
