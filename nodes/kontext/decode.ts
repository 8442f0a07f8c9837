// Decode: latents back to pixels through the VAE decoder. Each image keeps its strength in its metadata, so
// grids and animations downstream can label it.
import { defineNode } from '../../server/engine/node-definition.js';
import { makeImageBatch } from '../sockets.js';
import { floatTensor, modelOutputToImage } from './math/index.js';
import { SOCKET, MODEL_INPUT, type KontextModel, type Latent } from './sockets.js';
import { assertSameModel, expectKind } from './checks.js';
import { kontextPipeline } from './pipeline-access.js';

export const kontextDecode = defineNode({
  id: 'KontextDecode',
  displayName: 'Decode',
  category: 'kontext',
  description:
    'Turns the edited latents from Kontext Denoise into images. Each image remembers its strength, which Strength ' +
    'Grid and Strength Animation use as labels. Feed the result to Save Image, or to Encode Image for a second edit.',
  inputs: {
    required: {
      model: MODEL_INPUT,
      latent: { type: SOCKET.LATENT, tooltip: 'The edited latents from Kontext Denoise.' },
    },
  },
  outputs: [{ type: SOCKET.IMAGE, name: 'IMAGE', tooltip: 'The edited images, one per strength.' }],
  async run(ctx, inputs) {
    const model = expectKind<KontextModel>(inputs.model, 'KONTEXT_MODEL', 'model');
    const latent = expectKind<Latent>(inputs.latent, 'LATENT', 'latent');
    assertSameModel(model, latent, 'latent');
    const decoded = await kontextPipeline(ctx.services).decode(
      model.handle,
      floatTensor(latent.data, [latent.count, latent.channels, latent.height, latent.width]),
    );
    const { pixels, count, height, width } = modelOutputToImage(decoded);
    return { outputs: [makeImageBatch(count, height, width, pixels, latent.meta.map((m) => ({ ...m })))] };
  },
});
