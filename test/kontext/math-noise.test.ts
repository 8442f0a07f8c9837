// The seeded Gaussian generator: pinned values (computed by an independent Python implementation of the
// documented algorithm), statistics and seed handling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, gaussianNoise } from '../../nodes/kontext/math/noise.js';

test('the generator reproduces the documented algorithm bit for bit', () => {
  const random = new SeededRandom(64);
  assert.deepEqual([random.nextUint32(), random.nextUint32(), random.nextUint32(), random.nextUint32()], [3277793181, 3770497898, 1790376451, 3641265143]);
  const expected: Array<[number | bigint, number[]]> = [
    [0, [0.3029727339744568, 2.0391221046447754, -1.0919476747512817, -0.5421730279922485, -0.9529020190238953, -2.7054975032806396]],
    [64, [-0.6371525526046753, 0.36685672402381897, 2.5904324054718018, -0.49105802178382874, -0.3091667890548706, -1.696129560470581]],
    [2n ** 64n - 1n, [1.3568295240402222, 0.17742203176021576, -0.3055475652217865, 1.3304998874664307, 1.3298126459121704, 0.7677513360977173]],
  ];
  for (const [seed, values] of expected) assert.deepEqual(Array.from(gaussianNoise(seed, 6)), values, `seed ${seed}`);
});

test('the same seed gives the same noise, another seed other noise', () => {
  assert.deepEqual(gaussianNoise(123, 1000), gaussianNoise(123n, 1000));
  const a = gaussianNoise(1, 1000);
  const b = gaussianNoise(2, 1000);
  assert.ok(a.some((v, i) => v !== b[i]));
  // a longer draw starts with the shorter one (values come in row-major order)
  assert.deepEqual(gaussianNoise(9, 2001).slice(0, 2000), gaussianNoise(9, 2000));
});

test('the noise is standard normal', () => {
  const values = gaussianNoise(7, 200_000);
  let sum = 0;
  let squares = 0;
  let beyond2 = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
    if (Math.abs(v) > 2) beyond2++;
  }
  const mean = sum / values.length;
  const variance = squares / values.length - mean * mean;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  assert.ok(Math.abs(beyond2 / values.length - 0.0455) < 0.003, `tail share ${beyond2 / values.length}`);
});

test('bad seeds are refused with the allowed range', () => {
  assert.throws(() => new SeededRandom(-1), /seed must be an integer from 0 to 2\^64-1/);
  assert.throws(() => new SeededRandom(1.5), /seed must be an integer/);
  assert.throws(() => new SeededRandom(2n ** 64n), /seed must be an integer/);
});
