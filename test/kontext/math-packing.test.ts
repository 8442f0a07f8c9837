// 2x2 packing, position ids and text ids (KONTEXT.md 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packLatent, unpackTokens } from '../../nodes/kontext/math/packing.js';
import { imageIds, jointImageIds, referenceIds, targetIds, textIds } from '../../nodes/kontext/math/position-ids.js';

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i);
}

test('packing follows token i*(w/2)+j, channel c*4+dy*2+dx = z[c,2i+dy,2j+dx]', () => {
  const [b, c, h, w] = [2, 3, 4, 6];
  const z = ramp(b * c * h * w);
  const packed = packLatent({ data: z, dims: [b, c, h, w] });
  assert.deepEqual(packed.dims, [b, (h / 2) * (w / 2), c * 4]);
  for (let n = 0; n < b; n++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < h / 2; i++) {
        for (let j = 0; j < w / 2; j++) {
          for (let dy = 0; dy < 2; dy++) {
            for (let dx = 0; dx < 2; dx++) {
              const token = i * (w / 2) + j;
              const got = packed.data[(n * (h / 2) * (w / 2) + token) * c * 4 + ch * 4 + dy * 2 + dx];
              const want = z[((n * c + ch) * h + 2 * i + dy) * w + 2 * j + dx];
              assert.equal(got, want);
            }
          }
        }
      }
    }
  }
});

test('unpack inverts pack exactly, and odd grids or wrong token counts are refused', () => {
  const latent = { data: Float32Array.from({ length: 1 * 16 * 8 * 10 }, (_, i) => Math.sin(i)), dims: [1, 16, 8, 10] };
  const back = unpackTokens(packLatent(latent), 8, 10);
  assert.deepEqual(back.dims, [1, 16, 8, 10]);
  assert.deepEqual(back.data, latent.data);
  assert.throws(() => packLatent({ data: new Float32Array(3 * 5 * 4), dims: [1, 3, 5, 4] }), /grid 5x4 must be even/);
  assert.throws(() => unpackTokens({ data: new Float32Array(6 * 64), dims: [1, 6, 64] }, 4, 4), /6 tokens do not fill a 4x4/);
});

test('position ids: target (0,i,j) and reference (1,i,j), each on its own grid, target first', () => {
  const target = targetIds(4, 6); // grid 2x3
  assert.deepEqual(Array.from(target), [0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 1, 2]);
  const reference = referenceIds(2, 4); // grid 1x2
  assert.deepEqual(Array.from(reference), [1, 0, 0, 1, 0, 1]);
  const joint = jointImageIds(target, reference);
  assert.equal(joint.length, (6 + 2) * 3);
  assert.deepEqual(Array.from(joint.slice(18)), [1, 0, 0, 1, 0, 1]);
  assert.deepEqual(Array.from(imageIds(1, 1, 5)), [5, 0, 0]);
  assert.throws(() => imageIds(0, 2, 0), /must be positive integers/);
});

test('text ids are zeros [S,3]', () => {
  const ids = textIds(7);
  assert.equal(ids.length, 21);
  assert.ok(ids.every((v) => v === 0));
});
