// Strength Animation: the sweep played as a moving picture, the edit fading in and (with ping-pong) out again.
// Saved as animated WebP and/or GIF in the output folder and shown in the editor.
import { writeFile } from 'node:fs/promises';
import { defineNode, type UiOutput } from '../../server/engine/node-definition.js';
import { encodeAnimation, type AnimationFormat } from '../../server/media/animation.js';
import { SOCKET } from './sockets.js';
import { expectImage } from './checks.js';

export const ANIMATION_FORMATS = ['webp', 'gif', 'webp+gif'] as const;

export const strengthAnimation = defineNode({
  id: 'StrengthAnimation',
  displayName: 'Strength Animation',
  category: 'kontext',
  description:
    'Plays a strength sweep as an animation: frame by frame from the weakest to the strongest edit (and back, ' +
    'with ping-pong). Saves an animated WebP (small, sharp) and/or GIF (plays everywhere) in the output folder.',
  inputs: {
    required: {
      images: { type: SOCKET.IMAGE, tooltip: 'The edits from Decode, one frame per strength, in order.' },
      fps: { type: 'FLOAT', default: 6, min: 0.1, max: 60, step: 0.5, round: 0.1, tooltip: 'Frames per second.' },
      ping_pong: { type: 'BOOLEAN', default: true, tooltip: 'Play forward then backward, for a smooth endless loop.' },
      format: {
        type: 'COMBO',
        choices: ANIMATION_FORMATS,
        default: 'webp',
        tooltip: 'webp: small files in full colour. gif: plays everywhere, 256 colours. webp+gif: save both.',
      },
      filename_prefix: {
        type: 'STRING',
        default: 'Kontinuous_sweep',
        tooltip: 'Name prefix of the saved animation; may include a subfolder. A counter is appended.',
      },
    },
    optional: {
      source: { type: SOCKET.IMAGE, tooltip: 'The unedited image, shown as the first frame.' },
    },
  },
  outputs: [],
  outputNode: true,
  async run(ctx, inputs) {
    const images = expectImage(inputs.images, 'images');
    const source = inputs.source == null ? null : expectImage(inputs.source, 'source');
    const formats: AnimationFormat[] = inputs.format === 'webp+gif' ? ['webp', 'gif'] : [inputs.format === 'gif' ? 'gif' : 'webp'];
    const prefix = typeof inputs.filename_prefix === 'string' ? inputs.filename_prefix : 'Kontinuous_sweep';
    const listing: NonNullable<UiOutput['images']> = [];
    for (const format of formats) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const { data } = await encodeAnimation(images, format, { fps: Number(inputs.fps), pingPong: inputs.ping_pong !== false, source });
      const target = ctx.services.files.nextOutput('output', prefix, format);
      await writeFile(target.path, data);
      listing.push({ filename: target.filename, subfolder: target.subfolder, type: 'output' });
    }
    return { outputs: [], ui: { images: listing, animated: listing.map(() => true) } };
  },
});
