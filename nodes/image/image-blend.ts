// Image Blend: ComfyUI's ImageBlend (class id, inputs, its six blend modes, image2 fitted to image1 with a centre
// crop and bicubic resize), so its prompts run unchanged. It is also the baseline a continuous edit is judged
// against: a crossfade from the source to the full edit at blend_factor s, which fades pixels rather than editing
// less.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage, makeImageBatch } from '../sockets.js';
import { fitToSize } from './resample.js';

const BLEND_MODES = ['normal', 'multiply', 'screen', 'overlay', 'soft_light', 'difference'] as const;
type BlendMode = (typeof BLEND_MODES)[number];

/** The soft-light curve of the base (the W3C compositing formula ComfyUI uses). */
const softLightCurve = (a: number): number => (a <= 0.25 ? ((16 * a - 12) * a + 4) * a : Math.sqrt(a));

/** One channel value of image1 (a) blended with image2 (b) by `mode`, before mixing by the factor. */
const BLEND: Record<BlendMode, (a: number, b: number) => number> = {
  normal: (_a, b) => b,
  multiply: (a, b) => a * b,
  screen: (a, b) => 1 - (1 - a) * (1 - b),
  overlay: (a, b) => (a <= 0.5 ? 2 * a * b : 1 - 2 * (1 - a) * (1 - b)),
  soft_light: (a, b) => (b <= 0.5 ? a - (1 - 2 * b) * a * (1 - a) : a + (2 * b - 1) * (softLightCurve(a) - a)),
  difference: (a, b) => a - b,
};

export const imageBlendNode = defineNode({
  id: 'ImageBlend',
  displayName: 'Image Blend',
  category: 'image/postprocessing',
  description: 'Mixes image2 into image1 by blend_factor, through a blend mode. One image against a sweep is mixed into every frame.',
  inputs: {
    required: {
      image1: { type: 'IMAGE', tooltip: 'The base images; they decide the size.' },
      image2: { type: 'IMAGE', tooltip: 'The images blended in (centre-cropped and resized to image1 when their size differs).' },
      blend_factor: { type: 'FLOAT', default: 0.5, min: 0, max: 1, step: 0.01, tooltip: '0 keeps image1, 1 gives the full blend.' },
      blend_mode: { type: 'COMBO', choices: BLEND_MODES, default: 'normal', tooltip: 'normal: image2 itself; the others combine both as in image editors.' },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'The blended images (a sweep keeps its strengths).' }],
  async run(_ctx, inputs) {
    const first = expectImage(inputs.image1, 'image1');
    const second = await fitToSize(expectImage(inputs.image2, 'image2'), first.width, first.height, 'bicubic', 'image2');
    const blend = BLEND[inputs.blend_mode as BlendMode];
    if (!blend) throw new Error(`blend_mode: "${String(inputs.blend_mode)}" is not one of ${BLEND_MODES.join(', ')}`);
    if (first.count !== second.count && first.count !== 1 && second.count !== 1) {
      throw new Error(`image1 holds ${first.count} images and image2 ${second.count}: give both the same number, or one of them a single image`);
    }
    const factor = Number(inputs.blend_factor);
    const count = Math.max(first.count, second.count);
    const size = first.height * first.width * 3;
    const pixels = new Float32Array(count * size);
    for (let b = 0; b < count; b++) {
      const a = first.pixels.subarray((b % first.count) * size);
      const c = second.pixels.subarray((b % second.count) * size);
      for (let i = 0; i < size; i++) {
        const mixed = a[i]! * (1 - factor) + blend(a[i]!, c[i]!) * factor;
        pixels[b * size + i] = Math.min(1, Math.max(0, mixed));
      }
    }
    const meta = Array.from({ length: count }, (_, b) => ({ ...first.meta[b % first.count], ...second.meta[b % second.count] }));
    return { outputs: [makeImageBatch(count, first.height, first.width, pixels, meta)] };
  },
});
