// Preview Mask: ComfyUI's MaskPreview, so its prompts run unchanged: the mask shown in the editor as a grey image
// (written to temp/ like Preview Image), without a Convert Mask to Image in between.
import { defineNode } from '../../server/engine/node-definition.js';
import { PREVIEW_PREFIX } from '../image/preview-image.js';
import { pngTextFor, saveBatch } from '../image/save-output.js';
import { expectMask } from './mask.js';
import { maskImage } from './mask-to-image.js';

export const maskPreviewNode = defineNode({
  id: 'MaskPreview',
  displayName: 'Preview Mask',
  category: 'mask',
  description: 'Shows the mask in the editor (white = masked) without keeping it.',
  inputs: {
    required: { mask: { type: 'MASK', tooltip: 'The mask to show.' } },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  outputs: [],
  outputNode: true,
  async run(ctx, inputs) {
    return { outputs: [], ui: await saveBatch(ctx, maskImage(expectMask(inputs.mask, 'mask')), 'temp', PREVIEW_PREFIX, pngTextFor(ctx)) };
  },
});
