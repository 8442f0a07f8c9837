// Golden values of the sigma schedule and the Euler update (KONTEXT.md 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLUX_SCHEDULER, sigmaSchedule, shiftMu } from '../../nodes/kontext/math/schedule.js';
import { eulerStep, predictCleanLatent } from '../../nodes/kontext/math/euler.js';

function assertClose4(actual: ArrayLike<number>, expected: Record<number, number>, label: string): void {
  for (const [index, value] of Object.entries(expected)) {
    const i = index.startsWith('-') ? actual.length + Number(index) : Number(index);
    assert.equal(actual[i]!.toFixed(4), value.toFixed(4), `${label}: sigma[${i}]`);
  }
}

test('mu is the unclamped line through (256, 0.5) and (4096, 1.15)', () => {
  assert.equal(shiftMu(4096, FLUX_SCHEDULER).toFixed(4), '1.1500');
  assert.equal(shiftMu(1024, FLUX_SCHEDULER).toFixed(4), '0.6300');
  assert.equal(shiftMu(256, FLUX_SCHEDULER).toFixed(4), '0.5000');
  // beyond the range it extrapolates rather than clamping
  assert.ok(shiftMu(8192, FLUX_SCHEDULER) > 1.8);
});

test('28 steps at 4096 tokens match the reference schedule', () => {
  const s = sigmaSchedule(28, 4096, FLUX_SCHEDULER);
  assert.equal(s.length, 29);
  assertClose4(s, { 0: 1.0, 1: 0.9884, 2: 0.9762, 3: 0.9634, [-4]: 0.2748, [-3]: 0.1955, [-2]: 0.1047, [-1]: 0 }, 'N=28 L=4096');
});

test('14 steps at 4096 and at 1024 tokens match the reference schedule', () => {
  const a = sigmaSchedule(14, 4096, FLUX_SCHEDULER);
  assertClose4(a, { 0: 1.0, 1: 0.9762, 2: 0.9499, [-3]: 0.3448, [-2]: 0.1955, [-1]: 0 }, 'N=14 L=4096');
  const b = sigmaSchedule(14, 1024, FLUX_SCHEDULER);
  assertClose4(b, { 0: 1.0, 1: 0.9606, [-3]: 0.2383, [-2]: 0.1262, [-1]: 0 }, 'N=14 L=1024');
});

test('the schedule is strictly decreasing and a bundle without dynamic shift uses the plain linspace', () => {
  const s = sigmaSchedule(10, 64, FLUX_SCHEDULER);
  for (let i = 1; i < s.length; i++) assert.ok(s[i]! < s[i - 1]!, `sigma ${i} decreases`);
  const plain = sigmaSchedule(4, 64, { ...FLUX_SCHEDULER, dynamic_shift: false });
  assert.deepEqual(Array.from(plain), [1, 0.75, 0.5, 0.25, 0]);
  assert.deepEqual(Array.from(sigmaSchedule(1, 64, FLUX_SCHEDULER)), [1, 0]);
  assert.throws(() => sigmaSchedule(0, 64, FLUX_SCHEDULER), /steps must be a positive integer/);
});

test('an Euler step moves x by (sigmaNext - sigma) * v and x0 is x - sigma * v', () => {
  const x = new Float32Array([1, -2, 0.5]);
  const v = new Float32Array([2, 4, -1]);
  const x0 = predictCleanLatent(x, v, 0.5);
  assert.deepEqual(Array.from(x0), [0, -4, 1]);
  eulerStep(x, v, 0.5, 0.25);
  assert.deepEqual(Array.from(x), [0.5, -3, 0.75]);
  // a full run with the exact velocity noise - x0 lands on x0
  const clean = new Float32Array([0.3, -0.7]);
  const noise = new Float32Array([1.2, 0.4]);
  const sigmas = sigmaSchedule(7, 256, FLUX_SCHEDULER);
  const state = Float32Array.from(noise);
  const velocity = new Float32Array([noise[0]! - clean[0]!, noise[1]! - clean[1]!]);
  for (let i = 0; i < 7; i++) eulerStep(state, velocity, sigmas[i]!, sigmas[i + 1]!);
  assert.ok(Math.abs(state[0]! - clean[0]!) < 1e-6 && Math.abs(state[1]! - clean[1]!) < 1e-6);
  assert.throws(() => eulerStep(x, new Float32Array(2), 1, 0), /latent has 3 values, velocity 2/);
});
