// Load Image (as Mask): ComfyUI's LoadImageMask (class id, inputs, channel choices and rule: the alpha channel is
// inverted so transparent = 1 = masked, a colour channel is taken as it is), so its prompts run unchanged. For a
// mask painted in another program and saved as its own file.
import { defineNode } from '../../server/engine/node-definition.js';
import { INPUT_IMAGE_HOOKS, readInputImage } from '../image/input-image.js';
import { colourChannelMask, COLOUR_CHANNELS, maskFromAlpha } from './mask.js';

const CHANNELS = ['alpha', ...COLOUR_CHANNELS] as const;

export const loadImageMaskNode = defineNode({
  id: 'LoadImageMask',
  displayName: 'Load Image (as Mask)',
  category: 'mask',
  description: 'Loads one channel of an uploaded image as a MASK: the alpha channel inverted (transparent = masked), or a colour channel as it is.',
  inputs: {
    required: {
      image: { type: 'COMBO', choices: [], imageUpload: true, tooltip: 'An image uploaded to the input folder.' },
      channel: { type: 'COMBO', choices: CHANNELS, default: 'alpha', tooltip: 'alpha: transparent pixels are masked (all unmasked if the file has no alpha). red, green, blue: bright pixels are masked.' },
    },
  },
  outputs: [{ type: 'MASK', name: 'MASK' }],
  ...INPUT_IMAGE_HOOKS,
  async run(ctx, inputs) {
    const channel = CHANNELS.indexOf(inputs.channel as (typeof CHANNELS)[number]);
    if (channel < 0) throw new Error(`channel: "${String(inputs.channel)}" is not one of ${CHANNELS.join(', ')}`);
    const { image, alpha } = await readInputImage(ctx, String(inputs.image));
    if (channel === 0) return { outputs: [maskFromAlpha(image.height, image.width, alpha)] };
    return { outputs: [colourChannelMask(image, COLOUR_CHANNELS[channel - 1]!)] };
  },
});
