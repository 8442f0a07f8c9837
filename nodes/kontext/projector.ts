// Projector: the paper's strength network. Each strength, with the instruction's pooled vector, becomes a
// modulation that shifts and scales the text stream of every double block of the transformer.
import { defineNode } from '../../server/engine/node-definition.js';
import { floatTensor } from './math/index.js';
import { SOCKET, MODEL_INPUT, CONDITIONING_INPUT, type Conditioning, type KontextModel, type Modulation, type Strength } from './sockets.js';
import { assertSameModel, expectKind } from './checks.js';
import { kontextPipeline } from './pipeline-access.js';

export const kontextProjector = defineNode({
  id: 'KontextProjector',
  displayName: 'Projector',
  category: 'kontext',
  description:
    'Turns the edit strengths into the modulation Kontext Denoise uses to apply the edit part-way (Kontinuous ' +
    'Kontext\'s projector). Needs a model with strength control; plain FLUX.1 Kontext has none.',
  inputs: {
    required: {
      model: MODEL_INPUT,
      conditioning: CONDITIONING_INPUT,
      strength: { type: SOCKET.STRENGTH, tooltip: 'One or more strengths from the Strength node.' },
    },
  },
  outputs: [{ type: SOCKET.MODULATION, name: 'MODULATION', tooltip: 'One modulation per strength, for Kontext Denoise.' }],
  async run(ctx, inputs) {
    const model = expectKind<KontextModel>(inputs.model, 'KONTEXT_MODEL', 'model');
    const conditioning = expectKind<Conditioning>(inputs.conditioning, 'CONDITIONING', 'conditioning');
    const strength = expectKind<Strength>(inputs.strength, 'STRENGTH', 'strength');
    assertSameModel(model, conditioning, 'conditioning');
    const pipeline = kontextPipeline(ctx.services);
    if (!pipeline.hasStrengthControl(model.handle)) {
      throw new Error(
        pipeline.strengthControlMessage(model.handle) ??
          `model bundle '${model.name}' has no strength control: use it without the Strength and Projector nodes, or load a Kontinuous bundle`,
      );
    }
    const pooled = floatTensor(conditioning.pooled, [1, conditioning.pooledDim]);
    const out = await pipeline.project(model.handle, strength.values, pooled);
    const modulation: Modulation = {
      kind: 'MODULATION',
      model: model.name,
      strengths: [...strength.values],
      data: out.data,
      dim: out.dims[1]!,
    };
    return { outputs: [modulation] };
  },
});
