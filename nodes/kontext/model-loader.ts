// Load Kontext Model: opens a bundle (manifest + ONNX files) once; every other Kontext node takes its output.
import { defineNode } from '../../server/engine/node-definition.js';
import { SOCKET, type KontextModel } from './sockets.js';
import { bundleChoices, kontextPipeline } from './pipeline-access.js';

export const kontextModelLoader = defineNode({
  id: 'KontextModelLoader',
  displayName: 'Load Kontext Model',
  category: 'kontext',
  description:
    'Loads a Kontext model bundle from the models folder: kontext-tiny (the small model shipped with the app) or ' +
    'an exported FLUX.1 Kontext with the Kontinuous strength control. Connect its output to every other Kontext node.',
  inputs: {
    required: {
      bundle: {
        type: 'COMBO',
        choices: () => bundleChoices(),
        default: 'kontext-tiny',
        tooltip: 'Which model bundle to use (a folder under models/ with a manifest.json).',
      },
    },
  },
  outputs: [{ type: SOCKET.KONTEXT_MODEL, name: 'MODEL', tooltip: 'The loaded model, for the encode, projector, denoise and decode nodes.' }],
  // A re-exported bundle under the same name has a new manifest: new checksums, or the same weights with a new
  // strength curve or sampler constants (a re-calibration). Either must invalidate every cached result made with
  // the old one.
  fingerprint(inputs, services) {
    const models = services.models;
    if (!models) return 'no-models';
    try {
      return JSON.stringify(models.registry.get(String(inputs.bundle)).manifest);
    } catch {
      return 'unavailable';
    }
  },
  async run(ctx, inputs) {
    const name = String(inputs.bundle);
    const pipeline = kontextPipeline(ctx.services);
    let handle = await pipeline.load(name);
    const onDisk = pipeline.registry.get(name).manifest;
    if (JSON.stringify(onDisk) !== JSON.stringify(handle.manifest)) {
      // The bundle changed since it was opened: drop the old sessions and open it afresh.
      await pipeline.unload(name);
      handle = await pipeline.load(name);
    }
    const model: KontextModel = { kind: 'KONTEXT_MODEL', name, handle };
    return { outputs: [model] };
  },
});
