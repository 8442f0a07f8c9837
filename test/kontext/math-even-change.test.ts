// Even change: the perceptual distance against the model tooling's own values (training/data/distance.py on
// the same formula images), and the re-spacing of a sweep from a probe's adjacent distances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distanceFeatures, perceptualDistance } from '../../nodes/kontext/math/perceptual-distance.js';
import { changePath, evenChangeStrengths, strengthAtChange } from '../../nodes/kontext/math/even-spacing.js';

/** Re-spaced strengths straight from a probe and its adjacent distances. */
const respace = (probe: number[], adjacent: number[], count: number): number[] => evenChangeStrengths(changePath(probe, adjacent), count);

/** The formula image the Python golden values were computed on (interleaved RGB in [0, 1]). */
function formulaImage(height: number, width: number, k: number, blueScale = 1): Float32Array {
  const out = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 0.5 + 0.4 * Math.sin(0.3 * x + 0.7 * y + c + k) * Math.cos(0.11 * x * k - 0.2 * y + c);
        out[(y * width + x) * 3 + c] = Math.min(1, Math.max(0, Math.fround(v) * (c === 2 ? blueScale : 1)));
      }
    }
  }
  return out;
}

const distance = (a: Float32Array, b: Float32Array, h: number, w: number): number =>
  perceptualDistance(distanceFeatures(a, h, w), distanceFeatures(b, h, w));

test('MS-SSIM-C matches the model tooling (python: training.data.distance.distance) on even and odd sizes', () => {
  // [height, width, distance to the phase-shifted image, distance to the image with blue halved]
  const golden: Array<[number, number, number, number]> = [
    [24, 20, 0.0788100499659777, 0.1932598274946213],
    [33, 27, 0.10626244850456716, 0.19705980956554414],
  ];
  for (const [h, w, shifted, bluer] of golden) {
    const a = formulaImage(h, w, 0);
    assert.ok(Math.abs(distance(a, formulaImage(h, w, 0.5), h, w) - shifted) < 2e-5, `${h}x${w} shifted`);
    assert.ok(Math.abs(distance(a, formulaImage(h, w, 0, 0.5), h, w) - bluer) < 2e-5, `${h}x${w} blue halved`);
    assert.equal(distance(a, a, h, w), 0);
  }
});

test('the distance refuses mismatched sizes and images too small for three scales', () => {
  const a = distanceFeatures(formulaImage(8, 8, 0), 8, 8);
  const b = distanceFeatures(formulaImage(8, 10, 0), 8, 10);
  assert.throws(() => perceptualDistance(a, b), /one size, got 8x8 and 10x8/);
  assert.throws(() => distanceFeatures(new Float32Array(9 * 3), 3, 3), /at least 4x4/);
  assert.throws(() => distanceFeatures(new Float32Array(10), 2, 2), /needs 2x2x3 values, got 10/);
});

test('strengths where the change grows evenly: a jump late in the probe pulls the strengths towards it', () => {
  // Probe 0, .25, .5, .75, 1: almost nothing changes until .5, then most of it between .5 and .75.
  const probe = [0, 0.25, 0.5, 0.75, 1];
  const even = respace(probe, [0.01, 0.01, 0.3, 0.08], 5);
  // Path 0, .01, .02, .32, .40: quarters of .40 are .10, .20, .30 -> inside the jump, at 8/30, 18/30, 28/30 of it.
  const expected = [0, 0.5 + 0.25 * (0.08 / 0.3), 0.5 + 0.25 * (0.18 / 0.3), 0.5 + 0.25 * (0.28 / 0.3), 1];
  even.forEach((s, i) => assert.ok(Math.abs(s - expected[i]!) < 1e-12, `strength ${i}: ${s} vs ${expected[i]}`));
});

test('even change keeps the ends, follows a descending sweep, and splits evenly when nothing changes', () => {
  assert.deepEqual(respace([0.2, 0.6, 1], [0.1, 0.1], 3), [0.2, 0.6, 1]);
  const down = respace([1, 0.5, 0], [0.3, 0.1], 3);
  assert.equal(down[0], 1);
  assert.equal(down[2], 0);
  assert.ok(Math.abs(down[1]! - (1 - 0.5 * (0.2 / 0.3))) < 1e-12);
  assert.deepEqual(respace([0, 0.5, 1], [0, 0], 5), [0, 0.25, 0.5, 0.75, 1]);
  // A count other than the probe's: 3 strengths from a 5-strength probe.
  assert.deepEqual(respace([0, 0.25, 0.5, 0.75, 1], [0.1, 0.1, 0.1, 0.1], 3), [0, 0.5, 1]);
});

test('even change names what is wrong with its input', () => {
  assert.throws(() => respace([0.5], [], 3), /at least 2 strengths, got 1/);
  assert.throws(() => respace([0, 1], [0.1, 0.2], 3), /2 probe strengths need 1 distances, got 2/);
  assert.throws(() => respace([0, 0.6, 0.3], [0.1, 0.1], 3), /in order from start to end, got 0, 0.6, 0.3/);
  assert.throws(() => respace([0.4, 0.4], [0.1], 3), /in order/);
  assert.throws(() => respace([0, 1], [0.1], 1), /at least 2 strengths, got 1/);
});

test('large frames are measured halved down to a longest side of at most maxSide, close to full resolution', () => {
  const [h, w] = [600, 520];
  const a = formulaImage(h, w, 0);
  const b = formulaImage(h, w, 0, 0.5);
  const small = distanceFeatures(a, h, w, 256);
  assert.deepEqual([small.height, small.width, small.levels[0]!.height, small.levels[0]!.width], [150, 130, 150, 130]);
  const reduced = perceptualDistance(small, distanceFeatures(b, h, w, 256));
  const full = distance(a, b, h, w);
  assert.ok(Math.abs(reduced - full) < 0.03, `halved ${reduced} vs full ${full}`);
  // Images already small enough are measured as they are.
  assert.equal(distanceFeatures(formulaImage(24, 20, 0), 24, 20, 256).levels[0]!.width, 20);
});

test('a single strength maps to where the path has covered that fraction of its change', () => {
  const path = changePath([0, 0.5, 1], [0.3, 0.1]);
  assert.equal(strengthAtChange(path, 0), 0);
  assert.equal(strengthAtChange(path, 1), 1);
  assert.ok(Math.abs(strengthAtChange(path, 0.5) - 0.5 * (0.2 / 0.3)) < 1e-12);
  assert.ok(Math.abs(strengthAtChange(path, 0.9) - 0.8) < 1e-12);
});
