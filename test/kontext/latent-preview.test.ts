// The latent-to-RGB preview map: fitted from a latent and its decode, it reproduces an image that is a linear
// function of the latent, and enlarges small grids by whole pixels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLatentRgbMap, latentToRgb } from '../../nodes/kontext/latent-preview.js';

test('a linear decode is recovered exactly and applied per latent cell', () => {
  const [C, h, w, f] = [4, 6, 5, 8];
  const latent = new Float32Array(C * h * w).map((_, i) => Math.sin(i * 1.7) + Math.cos(i * 0.3));
  const truth = [
    [0.5, -0.2, 0.1],
    [0.0, 0.3, -0.4],
    [0.2, 0.2, 0.2],
    [-0.1, 0.0, 0.6],
  ];
  const bias = [0.05, -0.1, 0.2];
  const image = new Float32Array(3 * h * f * w * f);
  for (let y = 0; y < h * f; y++) {
    for (let x = 0; x < w * f; x++) {
      const cell = Math.floor(y / f) * w + Math.floor(x / f);
      for (let rgb = 0; rgb < 3; rgb++) {
        let v = bias[rgb]!;
        for (let c = 0; c < C; c++) v += latent[c * h * w + cell]! * truth[c]![rgb]!;
        image[(rgb * h * f + y) * w * f + x] = v;
      }
    }
  }
  const map = fitLatentRgbMap({ data: latent, dims: [1, C, h, w] }, { data: image, dims: [1, 3, h * f, w * f] });
  for (let c = 0; c < C; c++) for (let rgb = 0; rgb < 3; rgb++) assert.ok(Math.abs(map.coefficients[c * 3 + rgb]! - truth[c]![rgb]!) < 0.01);
  const rgb = latentToRgb(map, { data: latent, dims: [1, C, h, w] }, 2);
  assert.deepEqual(rgb.dims, [1, 3, 2 * h, 2 * w]);
  // Pixel (3,1) of the enlarged preview is latent cell (1,0), i.e. decode pixel (8,0).
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(rgb.data[(c * 2 * h + 3) * 2 * w + 1]! - image[(c * h * f + 8) * w * f]!) < 0.02);
});

test('mismatched shapes are refused', () => {
  assert.throws(() => fitLatentRgbMap({ data: new Float32Array(16), dims: [1, 1, 4, 4] }, { data: new Float32Array(3 * 30 * 32), dims: [1, 3, 30, 32] }), /cannot fit/);
  const map = fitLatentRgbMap({ data: new Float32Array(4).fill(1), dims: [1, 1, 2, 2] }, { data: new Float32Array(12).fill(0.5), dims: [1, 3, 2, 2] });
  assert.throws(() => latentToRgb(map, { data: new Float32Array(8), dims: [1, 2, 2, 2] }), /1 channels, the latent has 2/);
});
