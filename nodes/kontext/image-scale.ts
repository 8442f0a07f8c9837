// Scale Image for Kontext: resizes an image to the size the model works at, chosen by the model's resolution rule
// (the preferred size with the nearest aspect ratio; kontext-tiny lists its own sizes in its manifest).
import { defineNode } from '../../server/engine/node-definition.js';
import { resizeImage } from '../../server/media/codec.js';
import { centreCrop } from '../image/resample.js';
import { nearestResolution } from './math/index.js';
import { SOCKET, type KontextModel } from './sockets.js';
import { expectImage, expectKind } from './checks.js';
import { kontextPipeline } from './pipeline-access.js';

export const FIT_MODES = ['crop', 'stretch'] as const;

export const imageScaleToKontext = defineNode({
  id: 'ImageScaleToKontext',
  displayName: 'Scale Image for Kontext',
  category: 'kontext',
  description:
    'Resizes the image to a size the model works at: the model\'s preferred size whose shape is closest to the ' +
    'image\'s. Place it between Load Image and Encode Image. Crop keeps proportions by trimming the edges; stretch ' +
    'keeps everything in view but may distort.',
  inputs: {
    required: {
      model: { type: SOCKET.KONTEXT_MODEL, tooltip: 'The model from Load Kontext Model: its sizes decide the result.' },
      image: { type: SOCKET.IMAGE, tooltip: 'The image to resize.' },
      fit: {
        type: 'COMBO',
        choices: FIT_MODES,
        default: 'crop',
        tooltip: 'crop: trim the edges to the target shape, then resize. stretch: resize the whole image to the target shape.',
      },
    },
  },
  outputs: [{ type: SOCKET.IMAGE, name: 'IMAGE', tooltip: 'The resized image (high-quality Lanczos resampling).' }],
  async run(ctx, inputs) {
    const model = expectKind<KontextModel>(inputs.model, 'KONTEXT_MODEL', 'model');
    const image = expectImage(inputs.image, 'image');
    const [width, height] = nearestResolution(image.width, image.height, kontextPipeline(ctx.services).resolutions(model.handle));
    const fitted = inputs.fit === 'stretch' ? image : centreCrop(image, width, height);
    return { outputs: [await resizeImage(fitted, width, height)] };
  },
});
