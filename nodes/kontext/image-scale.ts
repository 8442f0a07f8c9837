// Scale Image for Kontext: resizes an image to the size the model works at, chosen by the model's resolution rule
// (the preferred size with the nearest aspect ratio; kontext-tiny lists its own sizes in its manifest). A mask
// painted on the photo goes through the same crop and resize, so it still covers the same pixels of the edit.
import { defineNode } from '../../server/engine/node-definition.js';
import { resizeImage } from '../../server/media/codec.js';
import { centreWindow, cropWindow } from '../image/resample.js';
import { cropMask, expectMask, makeMaskBatch, resizeMask } from '../mask/mask.js';
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
    optional: {
      mask: { type: 'MASK', tooltip: 'A mask of the same image (e.g. Load Image\'s), cropped and resized with it.' },
    },
  },
  outputs: [
    { type: SOCKET.IMAGE, name: 'IMAGE', tooltip: 'The resized image (high-quality Lanczos resampling).' },
    { type: 'MASK', name: 'MASK', tooltip: 'The mask fitted the same way (bilinear); empty when none is connected.' },
  ],
  async run(ctx, inputs) {
    const model = expectKind<KontextModel>(inputs.model, 'KONTEXT_MODEL', 'model');
    const image = expectImage(inputs.image, 'image');
    const [width, height] = nearestResolution(image.width, image.height, kontextPipeline(ctx.services).resolutions(model.handle));
    const window = inputs.fit === 'stretch' ? { x: 0, y: 0, width: image.width, height: image.height } : centreWindow(image.width, image.height, width, height);
    const scaled = await resizeImage(cropWindow(image, window.x, window.y, window.width, window.height), width, height);
    if (inputs.mask === undefined) return { outputs: [scaled, makeMaskBatch(1, height, width)] };
    const mask = expectMask(inputs.mask, 'mask');
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new Error(`mask: the mask is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}; connect the mask of this image`);
    }
    return { outputs: [scaled, resizeMask(cropMask(mask, window), width, height)] };
  },
});
