// The Strength node's rules: one value, an even sweep, or a list; bad settings fail validation with a message
// that names the problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStrength, parseStrengthList, resolveStrengths, sweepStrengths } from '../../nodes/kontext/strength-values.js';
import { kontextStrength } from '../../nodes/kontext/strength.js';
import type { NodeContext, NodeServices } from '../../server/engine/node-definition.js';

const widgets = { mode: 'single', value: 1, start: 0.2, end: 1, count: 5, list: '0, 1' } as const;

test('a sweep spaces strengths evenly from start to end, both included', () => {
  assert.deepEqual(sweepStrengths(0, 1, 6), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(sweepStrengths(1, 0, 3), [1, 0.5, 0]);
  assert.deepEqual(sweepStrengths(0.3, 0.9, 1), [0.3]);
  assert.throws(() => sweepStrengths(0, 1, 0), /count 0/);
  assert.throws(() => sweepStrengths(0, 1.5, 3), /end 1.5 is outside 0..1/);
});

test('a list accepts commas, semicolons and spaces, and names the bad entry', () => {
  assert.deepEqual(parseStrengthList('0, .25;0.5  1'), [0, 0.25, 0.5, 1]);
  assert.throws(() => parseStrengthList('0.1, abc'), /entry 2 \("abc"\) is not a number/);
  assert.throws(() => parseStrengthList('0.1, 1.2'), /entry 2 \(1.2\) is outside 0..1/);
  assert.throws(() => parseStrengthList('  '), /empty/);
  assert.throws(() => parseStrengthList(Array(65).fill('0.5').join(',')), /at most 64/);
});

test('the mode picks which widgets count', () => {
  assert.deepEqual(resolveStrengths({ ...widgets, value: 0.35 }), [0.35]);
  assert.deepEqual(resolveStrengths({ ...widgets, mode: 'sweep' }), [0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(resolveStrengths({ ...widgets, mode: 'list' }), [0, 1]);
  assert.equal(formatStrength(0.2), '0.20');
  assert.equal(formatStrength(0.125), '0.125');
});

test('the node validates its widgets and outputs a STRENGTH value', async () => {
  const services = {} as NodeServices;
  assert.equal(await kontextStrength.validate!({ ...widgets, mode: 'list', list: '0.5, x' }, services), 'strength list entry 2 ("x") is not a number');
  assert.equal(await kontextStrength.validate!({ ...widgets, mode: 'sweep' }, services), null);
  const result = await kontextStrength.run({} as NodeContext, { ...widgets, mode: 'sweep', start: 0, end: 1, count: 3 });
  assert.deepEqual(result.outputs, [{ kind: 'STRENGTH', values: [0, 0.5, 1] }]);
});

test('the declaration puts the value on a 0..1 slider with 0.01 steps', () => {
  const value = kontextStrength.inputs.required.value!;
  assert.equal(value.display, 'slider');
  assert.equal(value.min, 0);
  assert.equal(value.max, 1);
  assert.equal(value.step, 0.01);
});
