// The latent-to-RGB preview map: fitted from a latent and its decode, it reproduces an image that is a linear
// function of the latent, and enlarges small grids smoothly (bilinear between cell centres).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLatentRgbMap, latentPreviewImage } from '../../nodes/kontext/latent-preview.js';

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
  // Two items side by side: the latent, and the latent negated.
  const both = new Float32Array(2 * C * h * w);
  both.set(latent);
  both.set(latent.map((v) => -v), C * h * w);
  const scale = 3;
  const preview = latentPreviewImage(map, { data: both, dims: [2, C, h, w] }, scale);
  assert.deepEqual([preview.count, preview.height, preview.width], [1, scale * h, 2 * scale * w]);
  const unit = (v: number): number => Math.min(1, Math.max(0, v * 0.5 + 0.5));
  const cellColour = (cy: number, cx: number, c: number): number => unit(image[(c * h * f + cy * f) * w * f + cx * f]!);
  const at = (x: number, y: number, c: number): number => preview.pixels[(y * preview.width + x) * 3 + c]!;
  // The centre pixel of every cell of the first item is that cell's colour (the decode's, mapped to [0,1]).
  for (let cy = 0; cy < h; cy++) {
    for (let cx = 0; cx < w; cx++) {
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(at(cx * scale + 1, cy * scale + 1, c) - cellColour(cy, cx, c)) < 0.01, `cell ${cy},${cx}`);
    }
  }
  // Between two centres the colour is blended, a third of the way: no blocks.
  for (let c = 0; c < 3; c++) {
    const expected = (2 * cellColour(1, 0, c) + cellColour(1, 1, c)) / 3;
    assert.ok(Math.abs(at(2, 4, c) - expected) < 0.01, `pixel (2,4) channel ${c}: ${at(2, 4, c)} vs ${expected}`);
  }
  // Outside the outer centres the edge cell's colour holds.
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(at(0, 0, c) - cellColour(0, 0, c)) < 0.01);
  // The second item starts scale*w pixels in and differs from the first (negated latent).
  const second = at(scale * w + 1, 4, 0);
  assert.notEqual(second.toFixed(3), at(1, 4, 0).toFixed(3));
});

test('mismatched shapes are refused', () => {
  assert.throws(() => fitLatentRgbMap({ data: new Float32Array(16), dims: [1, 1, 4, 4] }, { data: new Float32Array(3 * 30 * 32), dims: [1, 3, 30, 32] }), /cannot fit/);
  const map = fitLatentRgbMap({ data: new Float32Array(4).fill(1), dims: [1, 1, 2, 2] }, { data: new Float32Array(12).fill(0.5), dims: [1, 3, 2, 2] });
  assert.throws(() => latentPreviewImage(map, { data: new Float32Array(8), dims: [1, 2, 2, 2] }), /1 channels, the latent has 2/);
});
