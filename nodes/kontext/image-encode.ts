// Encode Image: the source image through the VAE encoder (its mean, scaled and shifted) into the reference
// latent that Kontext Denoise attends to. Cached, so a strength change never re-encodes the image.
import { defineNode } from '../../server/engine/node-definition.js';
import { imageToModelInput } from './math/index.js';
import { SOCKET, MODEL_INPUT, makeLatent, type KontextModel } from './sockets.js';
import { expectImage, expectKind } from './checks.js';
import { kontextPipeline } from './pipeline-access.js';

export const kontextImageEncode = defineNode({
  id: 'KontextImageEncode',
  displayName: 'Encode Image',
  category: 'kontext',
  description:
    'Encodes the image to edit into the model\'s latent space: the reference the edit starts from. Its sides must ' +
    'suit the model (put Scale Image for Kontext before it). A batch of several images gives one reference each.',
  inputs: {
    required: {
      model: MODEL_INPUT,
      image: { type: SOCKET.IMAGE, tooltip: 'The image to edit, sized by Scale Image for Kontext.' },
    },
  },
  outputs: [{ type: SOCKET.LATENT, name: 'LATENT', tooltip: 'The reference latent, for Kontext Denoise.' }],
  async run(ctx, inputs) {
    const model = expectKind<KontextModel>(inputs.model, 'KONTEXT_MODEL', 'model');
    const image = expectImage(inputs.image, 'image');
    const pipeline = kontextPipeline(ctx.services);
    const multiple = pipeline.downscale(model.handle) * 2;
    if (image.width % multiple !== 0 || image.height % multiple !== 0) {
      throw new Error(
        `the image is ${image.width}x${image.height}; ${model.name} needs width and height that are multiples of ${multiple}: ` +
          'put Scale Image for Kontext between the image and Encode Image',
      );
    }
    const input = imageToModelInput(image.pixels, image.count, image.height, image.width);
    const latent = await pipeline.encodeImage(model.handle, input);
    const [count, channels, height, width] = latent.dims as [number, number, number, number];
    const meta = image.meta.map((m) => ({ ...m }));
    return { outputs: [makeLatent(model.name, count, channels, height, width, latent.data, meta)] };
  },
});
