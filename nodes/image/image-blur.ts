// Image Blur: ComfyUI's ImageBlur (class id, inputs, its Gaussian whose sigma is measured in radii, not pixels,
// and mirrored edges), so its prompts run unchanged. Between Convert Mask to Image and back, it softens a painted
// mask so a confined edit fades into the unedited image instead of ending at a hard line.
import { defineNode } from '../../server/engine/node-definition.js';
import { cooperativePause } from '../cooperative.js';
import { expectImage, makeImageBatch, type ImageBatch } from '../sockets.js';

/** ComfyUI's kernel: Gaussian weights over positions spread evenly on [-1, 1], summing to 1. */
export function blurKernel(radius: number, sigma: number): Float32Array {
  const size = 2 * radius + 1;
  const weights = Float32Array.from({ length: size }, (_, i) => {
    const x = -1 + (2 * i) / (size - 1);
    return Math.exp(-(x * x) / (2 * sigma * sigma));
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/** Index i folded into [0, n) by mirroring at the edges without repeating them (torch's "reflect" padding). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}

/** One separable pass along rows (step 3, length width) or columns (step 3 * width, length height). */
async function blurAxis(src: Float32Array, image: ImageBatch, kernel: Float32Array, alongRows: boolean, pause: () => Promise<void>): Promise<Float32Array> {
  const out = new Float32Array(src.length);
  const radius = (kernel.length - 1) / 2;
  const { width, height } = image;
  const length = alongRows ? width : height;
  const stride = alongRows ? 3 : width * 3;
  const lines = alongRows ? height : width;
  const lineStride = alongRows ? width * 3 : 3;
  for (let b = 0; b < image.count; b++) {
    for (let line = 0; line < lines; line++) {
      await pause();
      const base = b * width * height * 3 + line * lineStride;
      for (let i = 0; i < length; i++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = -radius; k <= radius; k++) sum += kernel[k + radius]! * src[base + reflect(i + k, length) * stride + c]!;
          out[base + i * stride + c] = sum;
        }
      }
    }
  }
  return out;
}

export const imageBlurNode = defineNode({
  id: 'ImageBlur',
  displayName: 'Image Blur',
  category: 'image/postprocessing',
  description: 'Gaussian blur of every image of the batch.',
  inputs: {
    required: {
      image: { type: 'IMAGE', tooltip: 'The images to blur (a strength sweep keeps its strengths).' },
      blur_radius: { type: 'INT', default: 1, min: 1, max: 31, step: 1, tooltip: 'Reach of the blur in pixels.' },
      sigma: { type: 'FLOAT', default: 1, min: 0.1, max: 10, step: 0.1, tooltip: 'Spread of the Gaussian as a share of the radius: small keeps the centre, large averages the whole reach evenly.' },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'IMAGE', tooltip: 'The blurred images.' }],
  async run(ctx, inputs) {
    const image = expectImage(inputs.image, 'image');
    const kernel = blurKernel(Number(inputs.blur_radius), Number(inputs.sigma));
    // A large image at the largest radius takes seconds: the passes pause for the event loop and interrupts.
    const pause = cooperativePause(ctx.signal);
    const pixels = await blurAxis(await blurAxis(image.pixels, image, kernel, true, pause), image, kernel, false, pause);
    return { outputs: [makeImageBatch(image.count, image.height, image.width, pixels, image.meta.map((m) => ({ ...m })))] };
  },
});
