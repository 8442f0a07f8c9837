// Load Image: ComfyUI's class id and input name, so existing prompts run unchanged. The choices are the files
// in the input area; the server binds them to its own area when it builds the registry (see server/app.ts).
import { decodeImage } from '../../server/media/codec.js';
import { FileAreas } from '../../server/store/file-areas.js';
import { defineNode } from '../../server/engine/node-definition.js';
import { maskFromAlpha } from '../mask/mask.js';
import '../services.js';

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
  fingerprint(inputs, services) {
    const { subfolder, filename } = FileAreas.splitName(String(inputs.image));
    return services.files.hashFile('input', subfolder, filename);
  },
  validate(inputs, services) {
    const { subfolder, filename } = FileAreas.splitName(String(inputs.image));
    try {
      services.files.resolveExisting('input', subfolder, filename);
      return null;
    } catch (error) {
      return `Invalid image file: ${inputs.image} (${(error as Error).message})`;
    }
  },
  async run(ctx, inputs) {
    const { subfolder, filename } = FileAreas.splitName(String(inputs.image));
    const bytes = ctx.services.files.read('input', subfolder, filename);
    const { image, alpha } = await decodeImage(bytes, ctx.services.files.maxPixels);
    return { outputs: [image, maskFromAlpha(image.height, image.width, alpha)] };
  },
});
