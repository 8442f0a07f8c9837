// Strength Grid: the paper's figure strip (source, then the edit at each strength, labelled), saved as a PNG with
// the workflow embedded and passed on as an image.
import { defineNode } from '../../server/engine/node-definition.js';
import { composeStrengthGrid } from '../../server/media/grid.js';
import { pngTextFor, saveBatch } from '../image/save-output.js';
import { SOCKET } from './sockets.js';
import { expectImage } from './checks.js';

export const strengthGrid = defineNode({
  id: 'StrengthGrid',
  displayName: 'Strength Grid',
  category: 'kontext',
  description:
    'Lays out a sweep as one strip, like the figures of the Kontinuous Kontext paper: the source first, then the ' +
    'edit at each strength, each labelled with its strength. Saves the strip as a PNG (workflow embedded) in the ' +
    'output folder and passes it on.',
  inputs: {
    required: {
      images: { type: SOCKET.IMAGE, tooltip: 'The edits from Decode, one per strength.' },
      labels: { type: 'BOOLEAN', default: true, tooltip: 'Write each image\'s strength under it.' },
      columns: {
        type: 'INT',
        default: 0,
        min: 0,
        max: 64,
        step: 1,
        tooltip: 'Images per row; 0 keeps them all in one row, as in the paper.',
      },
      filename_prefix: {
        type: 'STRING',
        default: 'Kontinuous_grid',
        tooltip: 'Name prefix of the saved PNG; may include a subfolder. A counter is appended.',
      },
    },
    optional: {
      source: { type: SOCKET.IMAGE, tooltip: 'The unedited image, shown first (resized to the edits\' size).' },
    },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  outputs: [{ type: SOCKET.IMAGE, name: 'IMAGE', tooltip: 'The strip as one image.' }],
  outputNode: true,
  async run(ctx, inputs) {
    const images = expectImage(inputs.images, 'images');
    const source = inputs.source == null ? null : expectImage(inputs.source, 'source');
    const grid = await composeStrengthGrid(source, images, {
      labels: inputs.labels !== false,
      columns: Number(inputs.columns ?? 0),
    });
    const prefix = typeof inputs.filename_prefix === 'string' ? inputs.filename_prefix : 'Kontinuous_grid';
    return { outputs: [grid], ui: await saveBatch(ctx, grid, 'output', prefix, pngTextFor(ctx)) };
  },
});
