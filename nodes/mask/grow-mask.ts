// Grow Mask: ComfyUI's GrowMask (class id, inputs, one 3x3 grey dilation per pixel of growth, a cross-shaped
// kernel when the corners are tapered), so its prompts run unchanged. A painted mask is rarely tight: growing it a
// few pixels lets an edit reach the object's edge.
import { defineNode } from '../../server/engine/node-definition.js';
import { cooperativePause } from '../cooperative.js';
import { MAX_SIDE } from '../image/resample.js';
import { expectMask, makeMaskBatch, type MaskBatch } from './mask.js';

/** One grey dilation (max) or erosion (min) of a plane over its 3x3 neighbourhood; edges repeat the border. */
function morphOnce(plane: Float32Array, width: number, height: number, grow: boolean, tapered: boolean): Float32Array {
  const pick = grow ? Math.max : Math.min;
  const out = new Float32Array(plane.length);
  for (let y = 0; y < height; y++) {
    const up = Math.max(y - 1, 0) * width;
    const row = y * width;
    const down = Math.min(y + 1, height - 1) * width;
    for (let x = 0; x < width; x++) {
      const l = Math.max(x - 1, 0);
      const r = Math.min(x + 1, width - 1);
      let v = pick(plane[row + x]!, plane[row + l]!, plane[row + r]!, plane[up + x]!, plane[down + x]!);
      if (!tapered) v = pick(v, plane[up + l]!, plane[up + r]!, plane[down + l]!, plane[down + r]!);
      out[row + x] = v;
    }
  }
  return out;
}

/**
 * The mask grown (expand > 0) or shrunk by |expand| passes. Each pass costs one sweep of the mask, so a large
 * expand on a large mask takes seconds: the passes pause for the event loop (nodes/cooperative.ts) and stop when
 * `signal` aborts.
 */
export async function growMask(mask: MaskBatch, expand: number, tapered: boolean, signal?: AbortSignal): Promise<MaskBatch> {
  // Past width + height passes nothing changes any more, so a huge expand costs no more than that.
  const passes = Math.min(Math.abs(expand), mask.width + mask.height);
  const size = mask.width * mask.height;
  const values = new Float32Array(mask.values);
  const pause = cooperativePause(signal);
  for (let b = 0; b < mask.count; b++) {
    let plane: Float32Array = values.slice(b * size, (b + 1) * size);
    for (let i = 0; i < passes; i++) {
      plane = morphOnce(plane, mask.width, mask.height, expand > 0, tapered);
      await pause();
    }
    values.set(plane, b * size);
  }
  return makeMaskBatch(mask.count, mask.height, mask.width, values);
}

export const growMaskNode = defineNode({
  id: 'GrowMask',
  displayName: 'Grow Mask',
  category: 'mask',
  description: 'Grows the masked area by expand pixels, or shrinks it when expand is negative.',
  inputs: {
    required: {
      mask: { type: 'MASK', tooltip: 'The mask to grow or shrink.' },
      expand: { type: 'INT', default: 0, min: -MAX_SIDE, max: MAX_SIDE, step: 1, tooltip: 'Pixels to grow by; negative shrinks.' },
      tapered_corners: { type: 'BOOLEAN', default: true, tooltip: 'Round the corners as the area grows (a cross-shaped step) instead of keeping them square.' },
    },
  },
  outputs: [{ type: 'MASK', name: 'MASK' }],
  async run(ctx, inputs) {
    return { outputs: [await growMask(expectMask(inputs.mask, 'mask'), Number(inputs.expand), inputs.tapered_corners !== false, ctx.signal)] };
  },
});
