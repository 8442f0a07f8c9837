// Threshold Mask: ComfyUI's ThresholdMask, so its prompts run unchanged: a soft or resized mask made hard again.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectMask, makeMaskBatch } from './mask.js';

export const thresholdMaskNode = defineNode({
  id: 'ThresholdMask',
  displayName: 'Threshold Mask',
  category: 'mask',
  description: 'Sets every mask value above the threshold to 1 and the rest to 0.',
  inputs: {
    required: {
      mask: { type: 'MASK', tooltip: 'The mask to make hard.' },
      value: { type: 'FLOAT', default: 0.5, min: 0, max: 1, step: 0.01, tooltip: 'Values above this become 1, the rest 0.' },
    },
  },
  outputs: [{ type: 'MASK', name: 'MASK' }],
  run(_ctx, inputs) {
    const mask = expectMask(inputs.mask, 'mask');
    const value = Number(inputs.value);
    return { outputs: [makeMaskBatch(mask.count, mask.height, mask.width, mask.values.map((v) => (v > value ? 1 : 0)))] };
  },
});
