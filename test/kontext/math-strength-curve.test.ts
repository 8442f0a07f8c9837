// The strength calibration map: golden values between knots, the ends fixed, clamping, and the rules a
// manifest's curve must follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectorStrength, strengthCurveProblem, type StrengthCurve } from '../../nodes/kontext/math/strength-curve.js';

const CURVE: StrengthCurve = [[0, 0], [0.1, 0.31], [0.5, 0.6], [1, 1]];

test('a strength maps linearly between the knots around it', () => {
  assert.equal(projectorStrength(0, CURVE), 0);
  assert.equal(projectorStrength(1, CURVE), 1);
  assert.ok(Math.abs(projectorStrength(0.05, CURVE) - 0.155) < 1e-12);
  assert.ok(Math.abs(projectorStrength(0.1, CURVE) - 0.31) < 1e-12);
  assert.ok(Math.abs(projectorStrength(0.3, CURVE) - 0.455) < 1e-12);
  assert.ok(Math.abs(projectorStrength(0.75, CURVE) - 0.8) < 1e-12);
});

test('without a curve the strength goes through unchanged; with one it is clamped to [0, 1]', () => {
  assert.equal(projectorStrength(0.37, undefined), 0.37);
  assert.equal(projectorStrength(0.37, []), 0.37);
  assert.equal(projectorStrength(-0.2, CURVE), 0);
  assert.equal(projectorStrength(1.4, CURVE), 1);
});

test('a curve must run from [0, 0] to [1, 1] and increase strictly', () => {
  assert.equal(strengthCurveProblem(CURVE), null);
  assert.match(strengthCurveProblem([[0, 0.1], [1, 1]])!, /start at \[0, 0\] and end at \[1, 1\]/);
  assert.match(strengthCurveProblem([[0, 0], [0.9, 0.9]])!, /end at \[1, 1\]/);
  assert.match(strengthCurveProblem([[0, 0], [0.5, 0.5], [0.5, 0.6], [1, 1]])!, /knot 2/);
  assert.match(strengthCurveProblem([[0, 0], [0.4, 0.6], [0.6, 0.5], [1, 1]])!, /knot 2/);
});
