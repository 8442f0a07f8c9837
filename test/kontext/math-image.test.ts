// Image layout conversion, VAE scaling and the preferred-resolution rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageToModelInput, modelOutputToImage } from '../../nodes/kontext/math/image-tensor.js';
import { fromScaledLatent, toScaledLatent } from '../../nodes/kontext/math/vae.js';
import { FLUX_KONTEXT_RESOLUTIONS, bundleResolutions, nearestResolution, preferredResolution } from '../../nodes/kontext/math/resolution.js';
import { concatBatch, repeatBatch, sliceBatch } from '../../nodes/kontext/math/tensor.js';

test('NHWC [0,1] becomes NCHW [-1,1] and back, clamping out-of-range values', () => {
  // one 1x2 image: pixel 0 = (0, 0.5, 1), pixel 1 = (0.25, 0.75, 1)
  const pixels = new Float32Array([0, 0.5, 1, 0.25, 0.75, 1]);
  const tensor = imageToModelInput(pixels, 1, 1, 2);
  assert.deepEqual(tensor.dims, [1, 3, 1, 2]);
  assert.deepEqual(Array.from(tensor.data), [-1, -0.5, 0, 0.5, 1, 1]);
  const back = modelOutputToImage(tensor);
  assert.deepEqual(Array.from(back.pixels), Array.from(pixels));
  const clamped = modelOutputToImage({ data: new Float32Array([-3, 3, 0]), dims: [1, 3, 1, 1] });
  assert.deepEqual(Array.from(clamped.pixels), [0, 1, 0.5]);
  assert.throws(() => imageToModelInput(new Float32Array(5), 1, 1, 2), /expected 1x1x2x3/);
});

test('VAE scaling is (mean - shift) * scale and its inverse', () => {
  const vae = { scaling_factor: 0.3611, shift_factor: 0.1159 };
  const mean = { data: new Float32Array([0.1159, 1.1159, -2]), dims: [3] };
  const z = toScaledLatent(mean, vae);
  assert.ok(Math.abs(z.data[0]!) < 1e-7);
  assert.ok(Math.abs(z.data[1]! - 0.3611) < 1e-6);
  assert.ok(Math.abs(z.data[2]! - (-2 - 0.1159) * 0.3611) < 1e-6);
  const back = fromScaledLatent(z, vae);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(back.data[i]! - mean.data[i]!) < 1e-6);
});

test('the preferred resolution is the nearest aspect ratio among FLUX sizes', () => {
  assert.equal(FLUX_KONTEXT_RESOLUTIONS.length, 17);
  assert.deepEqual(nearestResolution(1000, 1000, FLUX_KONTEXT_RESOLUTIONS), [1024, 1024]);
  assert.deepEqual(nearestResolution(1920, 1080, FLUX_KONTEXT_RESOLUTIONS), [1392, 752]);
  assert.deepEqual(nearestResolution(1080, 1920, FLUX_KONTEXT_RESOLUTIONS), [752, 1392]);
  assert.deepEqual(nearestResolution(640, 480, FLUX_KONTEXT_RESOLUTIONS), [1184, 880]);
  assert.deepEqual(nearestResolution(100, 1000, FLUX_KONTEXT_RESOLUTIONS), [672, 1568]);
  for (const [w, h] of FLUX_KONTEXT_RESOLUTIONS) assert.ok(w % 16 === 0 && h % 16 === 0, `${w}x${h}`);
});

test("a bundle's own list is used, falling back to its native size, rounded to its multiple", () => {
  const tiny = { native: [128, 128] as const, multiple_of: 16 };
  assert.deepEqual(preferredResolution(1920, 1080, tiny), [128, 128]);
  const own = { native: [128, 128] as const, preferred: [[96, 160], [128, 128], [160, 96]] as const, multiple_of: 16 };
  assert.deepEqual(preferredResolution(1920, 1080, own), [160, 96]);
  assert.deepEqual(bundleResolutions({ native: [100, 70], multiple_of: 16 }), [[96, 64]]);
});

test('batch helpers repeat, slice and concatenate along the first axis', () => {
  const one = { data: new Float32Array([1, 2]), dims: [1, 2] };
  const three = repeatBatch(one, 3);
  assert.deepEqual(three.dims, [3, 2]);
  assert.deepEqual(Array.from(three.data), [1, 2, 1, 2, 1, 2]);
  assert.deepEqual(Array.from(sliceBatch(concatBatch([three, { data: new Float32Array([7, 8]), dims: [1, 2] }]), 2, 4).data), [1, 2, 7, 8]);
  assert.throws(() => repeatBatch(three, 2), /batch of 1/);
});
