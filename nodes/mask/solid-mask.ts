// Solid Mask: ComfyUI's SolidMask, so its prompts run unchanged: a uniform mask, e.g. a partial blend everywhere.
import { defineNode } from '../../server/engine/node-definition.js';
import { MAX_SIDE, MAX_SCALED_PIXELS } from '../image/resample.js';
import { makeMaskBatch } from './mask.js';

export const solidMaskNode = defineNode({
  id: 'SolidMask',
  displayName: 'Solid Mask',
  category: 'mask',
  description: 'A width x height mask holding one value everywhere.',
  inputs: {
    required: {
      value: { type: 'FLOAT', default: 1, min: 0, max: 1, step: 0.01, tooltip: 'The value of every pixel (1 = fully masked).' },
      width: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1, tooltip: 'Width in pixels.' },
      height: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1, tooltip: 'Height in pixels.' },
    },
  },
  outputs: [{ type: 'MASK', name: 'MASK' }],
  run(_ctx, inputs) {
    const width = Number(inputs.width);
    const height = Number(inputs.height);
    if (width * height > MAX_SCALED_PIXELS) {
      throw new RangeError(`width, height: a ${width}x${height} mask exceeds the ${MAX_SCALED_PIXELS.toLocaleString('en-US')} pixels a mask may hold`);
    }
    return { outputs: [makeMaskBatch(1, height, width, new Float32Array(width * height).fill(Number(inputs.value)))] };
  },
});
