// Upscale Image and Upscale Image By: ComfyUI's inputs and size rules (0 keeps the aspect ratio, Python's rounding),
// what each method does to known pixels, the centre crop, strengths carried through, and the size limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageScaleByNode } from '../../nodes/image/image-scale-by.js';
import { imageScaleNode } from '../../nodes/image/image-scale.js';
import { MAX_SCALED_PIXELS, pythonRound, UPSCALE_METHODS } from '../../nodes/image/resample.js';
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import type { NodeContext } from '../../server/engine/node-definition.js';

/** A w x h image whose pixel (x, y) holds value(x, y) in all three channels. */
function image(w: number, h: number, value: (x: number, y: number) => number, count = 1): ImageBatch {
  const pixels = new Float32Array(count * w * h * 3);
  for (let b = 0; b < count; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels.fill(value(x, y), ((b * h + y) * w + x) * 3, ((b * h + y) * w + x + 1) * 3);
  return makeImageBatch(count, h, w, pixels, Array.from({ length: count }, (_, k) => ({ strength: k / 2 })));
}

/** The red channel as rows, rounded to 1e-4. */
function rows(img: ImageBatch, item = 0): number[][] {
  return Array.from({ length: img.height }, (_, y) => Array.from({ length: img.width }, (_, x) => Math.round(img.pixels[((item * img.height + y) * img.width + x) * 3]! * 1e4) / 1e4));
}

async function scale(inputs: Record<string, unknown>): Promise<ImageBatch> {
  return ((await imageScaleNode.run({} as NodeContext, { upscale_method: 'nearest-exact', crop: 'disabled', ...inputs })) as { outputs: ImageBatch[] }).outputs[0]!;
}

async function scaleBy(inputs: Record<string, unknown>): Promise<ImageBatch> {
  return ((await imageScaleByNode.run({} as NodeContext, { upscale_method: 'nearest-exact', ...inputs })) as { outputs: ImageBatch[] }).outputs[0]!;
}

test('declares ComfyUI\'s class ids, inputs and methods', () => {
  assert.deepEqual([imageScaleNode.id, imageScaleByNode.id], ['ImageScale', 'ImageScaleBy']);
  assert.deepEqual(Object.keys(imageScaleNode.inputs.required), ['image', 'upscale_method', 'width', 'height', 'crop']);
  assert.deepEqual(Object.keys(imageScaleByNode.inputs.required), ['image', 'upscale_method', 'scale_by']);
  assert.deepEqual([...UPSCALE_METHODS], ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']);
});

test('nearest-exact doubles pixels into 2x2 blocks, and every item keeps its strength', async () => {
  const out = await scale({ image: image(2, 1, (x) => (x === 0 ? 0.2 : 0.8), 2), width: 4, height: 2 });
  assert.deepEqual([out.count, out.width, out.height], [2, 4, 2]);
  assert.deepEqual(rows(out, 1), [[0.2, 0.2, 0.8, 0.8], [0.2, 0.2, 0.8, 0.8]]);
  assert.deepEqual(out.meta, [{ strength: 0 }, { strength: 0.5 }]);
});

test('area averages the cells it pools, as adaptive average pooling does', async () => {
  const ramp = image(4, 4, (x, y) => (x + 4 * y) / 16);
  assert.deepEqual(rows(await scale({ image: ramp, width: 2, height: 2, upscale_method: 'area' })), [[0.15625, 0.28125].map((v) => Math.round(v * 1e4) / 1e4), [0.65625, 0.78125].map((v) => Math.round(v * 1e4) / 1e4)]);
  // 3 -> 2 columns: cells [0, 2) and [1, 3) overlap in the middle column.
  const three = image(3, 1, (x) => x / 2);
  assert.deepEqual(rows(await scale({ image: three, width: 2, height: 1, upscale_method: 'area' })), [[0.25, 0.75]]);
});

test('smooth methods keep a flat image flat; 0 follows the aspect ratio with Python\'s rounding', async () => {
  const flat = image(30, 20, () => 0.6);
  for (const method of ['bilinear', 'bicubic', 'lanczos']) {
    const out = await scale({ image: flat, width: 0, height: 45, upscale_method: method });
    assert.deepEqual([out.width, out.height], [68, 45], method); // 30 * 45 / 20 = 67.5 rounds to even 68
    assert.ok(out.pixels.every((v) => Math.abs(v - 0.6) <= 1 / 255), `${method} changed a flat image`);
  }
  const wide = await scale({ image: image(5, 3, () => 0), width: 5, height: 0 });
  assert.equal(wide.height, 3);
  assert.equal((await scale({ image: flat, width: 0, height: 0 })), flat, '0 x 0 leaves the image alone');
  assert.deepEqual([pythonRound(2.5), pythonRound(3.5), pythonRound(67.5), pythonRound(2.4)], [2, 4, 68, 2]);
});

test('center crop trims the edges to the new shape before resizing', async () => {
  const columns = image(4, 2, (x) => x / 4);
  assert.deepEqual(rows(await scale({ image: columns, width: 2, height: 2, crop: 'center' })), [[0.25, 0.5], [0.25, 0.5]]);
  // Stretched instead, nearest-exact samples the centres of each pair of columns (1 and 3), as torch does; sharp
  // goes through 8 bits, hence the tolerance.
  const stretched = rows(await scale({ image: columns, width: 2, height: 2, crop: 'disabled' }));
  assert.ok(stretched.flat().every((v, i) => Math.abs(v - [0.25, 0.75][i % 2]!) < 0.002), JSON.stringify(stretched));
});

test('Upscale Image By scales both sides by one factor, rounded as ComfyUI rounds', async () => {
  const out = await scaleBy({ image: image(5, 3, (x) => x / 4), scale_by: 0.5, upscale_method: 'area' });
  assert.deepEqual([out.width, out.height], [2, 2]); // round(2.5) = 2, round(1.5) = 2
  const big = await scaleBy({ image: image(2, 2, () => 0.5), scale_by: 3 });
  assert.deepEqual([big.width, big.height], [6, 6]);
});

test('a size past the pixel budget is refused, naming the inputs, before anything is allocated', async () => {
  await assert.rejects(scale({ image: image(2, 2, () => 0, 2), width: 16384, height: 16384 }), (e: Error) => e instanceof RangeError && /^width, height: 2 image\(s\) of 16384x16384 exceed/.test(e.message));
  await assert.rejects(scaleBy({ image: image(4096, 4096, () => 0), scale_by: 8 }), /^RangeError: scale_by: 1 image\(s\) of 32768x32768 exceed/);
  assert.equal(MAX_SCALED_PIXELS, 64 * 1024 * 1024);
});
