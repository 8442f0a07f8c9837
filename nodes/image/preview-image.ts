// Preview Image: ComfyUI's class id and input. Writes to temp/ (cleared at each server start) for the editor.
import { randomBytes } from 'node:crypto';
import { defineNode } from '../../server/engine/node-definition.js';
import type { ImageBatch } from '../sockets.js';
import { pngTextFor, saveBatch } from './save-output.js';

export const previewImageNode = defineNode({
  id: 'PreviewImage',
  displayName: 'Preview Image',
  category: 'image',
  description: 'Shows the images in the editor without keeping them (written to the temp folder).',
  inputs: {
    required: { images: { type: 'IMAGE', tooltip: 'The images to show.' } },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  outputs: [],
  outputNode: true,
  async run(ctx, inputs) {
    // A random prefix per run keeps browsers from showing a stale cached preview under a reused name.
    const prefix = `Kontinuous_temp_${randomBytes(4).toString('hex')}`;
    return { outputs: [], ui: await saveBatch(ctx, inputs.images as ImageBatch, 'temp', prefix, pngTextFor(ctx)) };
  },
});
