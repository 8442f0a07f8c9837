// Compare Grid: edits side by side, one row each (two instructions, two cfg values, two seeds), every row a
// strength strip with its label above it; saved as a PNG with the workflow embedded and passed on as an image.
import { defineNode } from '../../server/engine/node-definition.js';
import { composeCompareGrid } from '../../server/media/grid.js';
import { pngTextFor, saveBatch } from '../image/save-output.js';
import { SOCKET } from './sockets.js';
import { expectImage } from './checks.js';

/** Rows the node takes: enough for an A/B/C/D comparison, few enough to stay readable. */
export const COMPARE_ROWS = 4;

const rowInput = (n: number) => ({
  type: SOCKET.IMAGE,
  tooltip: n === 1 ? 'The first row: the edits of one setting, from Decode (one per strength).' : `Row ${n}: the edits of another setting.`,
});

export const compareGrid = defineNode({
  id: 'CompareGrid',
  displayName: 'Compare Grid',
  category: 'kontext',
  description:
    'Puts edits made with different settings (instructions, cfg, seeds, models) one row under another, so they can ' +
    'be compared strength by strength. Each row is a strip like Strength Grid\'s, labelled with a line of row labels. ' +
    'Saves the grid as a PNG (workflow embedded) in the output folder and passes it on.',
  inputs: {
    required: {
      images_1: rowInput(1),
      row_labels: {
        type: 'STRING',
        multiline: true,
        default: '',
        tooltip: 'One line per row, written above it (e.g. each row\'s instruction). Empty: no label bands.',
      },
      labels: { type: 'BOOLEAN', default: true, tooltip: 'Write each image\'s strength under it.' },
      filename_prefix: {
        type: 'STRING',
        default: 'Kontinuous_compare',
        tooltip: 'Name prefix of the saved PNG; may include a subfolder. A counter is appended.',
      },
    },
    optional: {
      ...Object.fromEntries(Array.from({ length: COMPARE_ROWS - 1 }, (_, i) => [`images_${i + 2}`, rowInput(i + 2)])),
      source: { type: SOCKET.IMAGE, tooltip: 'The unedited image, shown first in every row (resized to the edits\' size).' },
    },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  outputs: [{ type: SOCKET.IMAGE, name: 'IMAGE', tooltip: 'The grid as one image.' }],
  outputNode: true,
  async run(ctx, inputs) {
    // Connected rows in input order; an unconnected row in between is skipped, not drawn empty.
    const rows = Array.from({ length: COMPARE_ROWS }, (_, i) => `images_${i + 1}`)
      .filter((name) => inputs[name] != null)
      .map((name) => expectImage(inputs[name], name));
    const source = inputs.source == null ? null : expectImage(inputs.source, 'source');
    const rowLabels = typeof inputs.row_labels === 'string' ? inputs.row_labels.split('\n') : [];
    const grid = await composeCompareGrid(source, rows, rowLabels, { labels: inputs.labels !== false });
    const prefix = typeof inputs.filename_prefix === 'string' ? inputs.filename_prefix : 'Kontinuous_compare';
    return { outputs: [grid], ui: await saveBatch(ctx, grid, 'output', prefix, pngTextFor(ctx)) };
  },
});
