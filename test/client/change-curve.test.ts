// The explorer's change curve: cumulative neighbour-to-neighbour change, normalised to end at 1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeCurve } from '../../client/src/strength/change-curve.js';

/** A 2x2 RGBA frame of one grey level. */
const grey = (v: number) => new Uint8ClampedArray(16).map((_, i) => (i % 4 === 3 ? 255 : v));

test('the curve rises by each step\'s share of the total change', () => {
  // Steps of 0, 100 and 50 grey levels: nothing, then two thirds of the change, then the last third.
  const points = changeCurve([0, 0.25, 0.5, 1], [grey(10), grey(10), grey(110), grey(160)])!;
  assert.deepEqual(points.map((p) => p.strength), [0, 0.25, 0.5, 1]);
  const change = points.map((p) => p.change);
  assert.equal(change[0], 0);
  assert.equal(change[1], 0);
  assert.ok(Math.abs(change[2]! - 2 / 3) < 1e-12);
  assert.equal(change[3], 1);
});

test('alpha is ignored, and change in any direction counts', () => {
  const dark = grey(200);
  dark.forEach((_, i) => i % 4 === 3 && (dark[i] = 0));
  const points = changeCurve([0, 0.5, 1], [grey(200), dark, grey(100)])!;
  assert.deepEqual(points.map((p) => p.change), [0, 0, 1]);
  const back = changeCurve([0, 0.5, 1], [grey(0), grey(100), grey(0)])!;
  assert.deepEqual(back.map((p) => p.change), [0, 0.5, 1]);
});

test('no curve for two frames or frames that never change; mismatches are refused', () => {
  assert.equal(changeCurve([0, 1], [grey(0), grey(9)]), null);
  assert.equal(changeCurve([0, 0.5, 1], [grey(5), grey(5), grey(5)]), null);
  assert.throws(() => changeCurve([0, 1], [grey(0)]), /2 strengths for 1 frames/);
  assert.throws(() => changeCurve([0, 0.5, 1], [grey(0), new Uint8ClampedArray(8), grey(0)]), /frame 1 has 2 pixels, frame 0 4/);
});
