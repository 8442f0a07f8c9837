// Invert Mask: ComfyUI's InvertMask, so its prompts run unchanged: edit everything but the painted area.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectMask, makeMaskBatch } from './mask.js';

export const invertMaskNode = defineNode({
  id: 'InvertMask',
  displayName: 'Invert Mask',
  category: 'mask',
  description: 'Turns every mask value v into 1 - v: what was masked is kept, and the rest masked.',
  inputs: { required: { mask: { type: 'MASK', tooltip: 'The mask to invert.' } } },
  outputs: [{ type: 'MASK', name: 'MASK' }],
  run(_ctx, inputs) {
    const mask = expectMask(inputs.mask, 'mask');
    return { outputs: [makeMaskBatch(mask.count, mask.height, mask.width, mask.values.map((v) => 1 - v))] };
  },
});
