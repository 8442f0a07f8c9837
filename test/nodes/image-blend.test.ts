// Image Blend: ComfyUI's six modes mixed by the factor (expected values computed with torch from the same
// formulas), image2 fitted to image1's size, and a single image blended into every frame of a sweep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageBlendNode } from '../../nodes/image/image-blend.js';
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import type { NodeContext } from '../../server/engine/node-definition.js';

/** A 4x1 image whose pixels are the given greys, one item per grey list. */
function greys(...items: number[][]): ImageBatch {
  const pixels = Float32Array.from(items.flatMap((values) => values.flatMap((v) => [v, v, v])));
  return makeImageBatch(items.length, 1, items[0]!.length, pixels, items.map((_, i) => ({ strength: i / 2 })));
}

async function blend(image1: ImageBatch, image2: ImageBatch, blend_factor: number, blend_mode: string): Promise<ImageBatch> {
  return ((await imageBlendNode.run({} as NodeContext, { image1, image2, blend_factor, blend_mode })) as { outputs: ImageBatch[] }).outputs[0]!;
}

const reds = (image: ImageBatch): number[] => Array.from({ length: image.count * image.width * image.height }, (_, i) => Number(image.pixels[i * 3]!.toFixed(4)));

test('every blend mode, mixed by the factor and clamped, as ComfyUI computes it', async () => {
  const a = greys([0.1, 0.3, 0.6, 0.9]);
  const b = greys([0.8, 0.2, 0.4, 0.7]);
  const expected: Record<string, number[]> = {
    normal: [0.625, 0.225, 0.45, 0.75],
    multiply: [0.085, 0.12, 0.33, 0.6975],
    screen: [0.64, 0.405, 0.72, 0.9525],
    overlay: [0.145, 0.165, 0.54, 0.93],
    soft_light: [0.1882, 0.2055, 0.564, 0.9146],
    difference: [0, 0.15, 0.3, 0.375],
  };
  for (const [mode, values] of Object.entries(expected)) assert.deepEqual(reds(await blend(a, b, 0.75, mode)), values, mode);
  assert.deepEqual(reds(await blend(a, b, 0, 'screen')), [0.1, 0.3, 0.6, 0.9], 'factor 0 keeps image1');
  await assert.rejects(blend(a, b, 0.5, 'dodge'), /blend_mode: "dodge" is not one of normal, multiply/);
});

test('one source crossfaded into every frame of a sweep keeps the sweep\'s strengths; image2 is fitted to image1', async () => {
  const source = greys([0, 0, 0, 0]);
  const sweep = greys([1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5], [0.2, 0.2, 0.2, 0.2]);
  const out = await blend(source, sweep, 0.5, 'normal');
  assert.equal(out.count, 3);
  assert.deepEqual(reds(out), [0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.1, 0.1, 0.1, 0.1]);
  assert.deepEqual(out.meta.map((m) => m.strength), [0, 0.5, 1]);
  const small = makeImageBatch(1, 2, 2, new Float32Array(12).fill(0.6));
  const fitted = await blend(greys([0, 0, 0, 0]), small, 1, 'normal');
  assert.deepEqual([fitted.width, fitted.height], [4, 1]);
  assert.ok(reds(fitted).every((v) => Math.abs(v - 0.6) <= 1 / 255 + 1e-4), `a flat image stays flat: ${reds(fitted)}`);
  await assert.rejects(blend(greys([0, 0, 0, 0], [0, 0, 0, 0]), sweep, 0.5, 'normal'), /image1 holds 2 images and image2 3/);
});
