// Save Image: ComfyUI's class id and inputs. PNGs carry the prompt and workflow as tEXt chunks, and names count
// up per prefix (Kontinuous_00001_.png) so nothing is overwritten.
import { defineNode } from '../../server/engine/node-definition.js';
import type { ImageBatch } from '../sockets.js';
import { pngTextFor, saveBatch } from './save-output.js';

export const saveImageNode = defineNode({
  id: 'SaveImage',
  displayName: 'Save Image',
  category: 'image',
  description: 'Saves every image of the batch as a PNG in the output folder, with the workflow embedded.',
  inputs: {
    required: {
      images: { type: 'IMAGE', tooltip: 'The images to save.' },
      filename_prefix: {
        type: 'STRING',
        default: 'Kontinuous',
        tooltip: 'Name prefix; may include a subfolder ("edits/cat"). A counter is appended.',
      },
    },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  outputs: [],
  outputNode: true,
  async run(ctx, inputs) {
    const prefix = typeof inputs.filename_prefix === 'string' ? inputs.filename_prefix : 'Kontinuous';
    return { outputs: [], ui: await saveBatch(ctx, inputs.images as ImageBatch, 'output', prefix, pngTextFor(ctx)) };
  },
});
