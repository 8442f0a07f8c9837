// Preview Image: ComfyUI's class id and input. Writes to temp/ (cleared at each server start) for the editor.
import { randomBytes } from 'node:crypto';
import { defineNode } from '../../server/engine/node-definition.js';
import type { ImageBatch } from '../sockets.js';
import { pngTextFor, saveBatch } from './save-output.js';

// temp/ is emptied at every start, so a counter would reuse names across restarts and a browser could show a
// stale cached preview; a random part per process keeps names unique, and one prefix (not one per run) keeps the
// output counters to a single entry however many previews a long-running server writes.
export const PREVIEW_PREFIX = `Kontinuous_temp_${randomBytes(4).toString('hex')}`;

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
    return { outputs: [], ui: await saveBatch(ctx, inputs.images as ImageBatch, 'temp', PREVIEW_PREFIX, pngTextFor(ctx)) };
  },
});
