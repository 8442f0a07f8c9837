// Strength: the paper's one extra knob. One value on a slider, or a sweep, or a hand-written list; a sweep is
// rendered as one batch with the same noise for every strength, so the frames differ only by strength.
import { defineNode, type NodeInputs } from '../../server/engine/node-definition.js';
import { SOCKET, type Strength } from './sockets.js';
import { resolveStrengths, STRENGTH_MODES, MAX_STRENGTHS, type StrengthWidgets } from './strength-values.js';

function widgets(inputs: NodeInputs): StrengthWidgets {
  return {
    mode: inputs.mode as StrengthWidgets['mode'],
    value: Number(inputs.value),
    start: Number(inputs.start),
    end: Number(inputs.end),
    count: Number(inputs.count),
    list: String(inputs.list ?? ''),
  };
}

export const kontextStrength = defineNode({
  id: 'KontextStrength',
  displayName: 'Strength',
  category: 'kontext',
  description:
    'How strongly the edit is applied: 0 leaves the image as it is, 1 makes the full edit, and values between ' +
    'give the edit part-way (Kontinuous Kontext). Pick one value, an even sweep from start to end, or a list; ' +
    'several strengths render together in one batch with the same noise, ready for Strength Grid or Strength Animation.',
  inputs: {
    required: {
      mode: {
        type: 'COMBO',
        choices: STRENGTH_MODES,
        default: 'single',
        tooltip: 'single: the value slider. sweep: count strengths evenly from start to end. list: the strengths written in list.',
      },
      value: {
        type: 'FLOAT',
        default: 1,
        min: 0,
        max: 1,
        step: 0.01,
        round: 0.01,
        display: 'slider',
        tooltip: 'The edit strength in single mode: 0 = unchanged, 1 = full edit.',
      },
      start: { type: 'FLOAT', default: 0.2, min: 0, max: 1, step: 0.01, round: 0.01, tooltip: 'First strength of a sweep.' },
      end: { type: 'FLOAT', default: 1, min: 0, max: 1, step: 0.01, round: 0.01, tooltip: 'Last strength of a sweep (included).' },
      count: {
        type: 'INT',
        default: 5,
        min: 1,
        max: MAX_STRENGTHS,
        step: 1,
        tooltip: 'How many strengths a sweep renders; each one is an image in the batch (time grows with it).',
      },
      list: {
        type: 'STRING',
        default: '0, 0.25, 0.5, 0.75, 1',
        multiline: false,
        tooltip: 'Strengths for list mode, separated by commas or spaces, each between 0 and 1.',
      },
    },
  },
  outputs: [{ type: SOCKET.STRENGTH, name: 'STRENGTH', tooltip: 'The strengths to render, in order.' }],
  validate(inputs) {
    try {
      resolveStrengths(widgets(inputs));
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  },
  run(_ctx, inputs) {
    const value: Strength = { kind: 'STRENGTH', values: resolveStrengths(widgets(inputs)) };
    return { outputs: [value] };
  },
});
