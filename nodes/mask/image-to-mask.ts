// Convert Image to Mask: ComfyUI's ImageToMask (class id, inputs, channel choices), so its prompts run unchanged:
// a mask drawn in another program and loaded as an image.
import { defineNode } from '../../server/engine/node-definition.js';
import { expectImage } from '../sockets.js';
import { colourChannelMask, COLOUR_CHANNELS } from './mask.js';

const CHANNELS = [...COLOUR_CHANNELS, 'alpha'] as const;

export const imageToMaskNode = defineNode({
  id: 'ImageToMask',
  displayName: 'Convert Image to Mask',
  category: 'mask',
  description: 'A mask from one colour channel of each image (1 where the channel is full).',
  inputs: {
    required: {
      image: { type: 'IMAGE', tooltip: 'The images to read the mask from.' },
      channel: { type: 'COMBO', choices: CHANNELS, default: 'red', tooltip: 'The channel that becomes the mask.' },
    },
  },
  outputs: [{ type: 'MASK', name: 'MASK' }],
  run(_ctx, inputs) {
    const image = expectImage(inputs.image, 'image');
    const channel = CHANNELS.indexOf(inputs.channel as (typeof CHANNELS)[number]);
    if (channel === 3) {
      throw new Error('channel: images between nodes have no alpha channel; use Load Image\'s MASK output for a file\'s transparency');
    }
    if (channel < 0) throw new Error(`channel: "${String(inputs.channel)}" is not one of ${CHANNELS.join(', ')}`);
    return { outputs: [colourChannelMask(image, COLOUR_CHANNELS[channel]!)] };
  },
});
