// Crop Image and Batch Images: ComfyUI's clamping and resize rules on known pixels, strengths carried, and an edit
// on kontext-tiny's fixture cropped, enlarged and joined with its source through the engine, as a prompt would.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { imageBatchNode } from '../../nodes/image/image-batch.js';
import { imageCropNode } from '../../nodes/image/image-crop.js';
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import type { NodeContext } from '../../server/engine/node-definition.js';
import { decodeImage } from '../../server/media/codec.js';
import { editHost, execute, shippedPrompt, type EditHost } from '../kontext/edit-host.js';

/** A w x h image whose pixel (x, y) holds (x + 10 y) / 100 in all channels, one item per strength. */
function grid(w: number, h: number, strengths = [0.5]): ImageBatch {
  const pixels = new Float32Array(strengths.length * w * h * 3);
  strengths.forEach((_, b) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels.fill((x + 10 * y) / 100, ((b * h + y) * w + x) * 3, ((b * h + y) * w + x + 1) * 3);
  });
  return makeImageBatch(strengths.length, h, w, pixels, strengths.map((strength) => ({ strength })));
}

const red = (img: ImageBatch): number[] => Array.from({ length: img.count * img.width * img.height }, (_, i) => Math.round(img.pixels[i * 3]! * 100));

async function crop(image: ImageBatch, width: number, height: number, x: number, y: number): Promise<ImageBatch> {
  return ((await imageCropNode.run({} as NodeContext, { image, width, height, x, y })) as { outputs: ImageBatch[] }).outputs[0]!;
}

async function batch(image1: ImageBatch, image2: ImageBatch): Promise<ImageBatch> {
  return ((await imageBatchNode.run({} as NodeContext, { image1, image2 })) as { outputs: ImageBatch[] }).outputs[0]!;
}

test('Crop Image cuts the window at x, y from every item, with its strength', async () => {
  const out = await crop(grid(4, 3, [0, 1]), 2, 2, 1, 1);
  assert.deepEqual([out.count, out.width, out.height], [2, 2, 2]);
  assert.deepEqual(red(out), [11, 12, 21, 22, 11, 12, 21, 22]);
  assert.deepEqual(out.meta, [{ strength: 0 }, { strength: 1 }]);
});

test('Crop Image clamps as ComfyUI does: cut at the edges, a corner past them moves to the last pixel', async () => {
  const cut = await crop(grid(4, 3), 512, 512, 2, 1);
  assert.deepEqual([cut.width, cut.height], [2, 2]);
  assert.deepEqual(red(cut), [12, 13, 22, 23]);
  const corner = await crop(grid(4, 3), 8, 8, 99, 99);
  assert.deepEqual([corner.width, corner.height, ...red(corner)], [1, 1, 23]);
  const whole = grid(4, 3);
  assert.equal(await crop(whole, 4, 3, 0, 0), whole, 'the whole image passes through');
});

test('Batch Images appends image2 after image1, resized to image1\'s size when it differs', async () => {
  const same = await batch(grid(2, 2, [0, 0.5]), grid(2, 2, [1]));
  assert.deepEqual([same.count, ...red(same)], [3, 0, 1, 10, 11, 0, 1, 10, 11, 0, 1, 10, 11]);
  assert.deepEqual(same.meta.map((m) => m.strength), [0, 0.5, 1]);
  // A flat 6x3 image joined to a 2x2 one: centre-cropped to 3x3, then resized to 2x2; flat stays flat.
  const flat = makeImageBatch(1, 3, 6, new Float32Array(54).fill(0.4));
  const mixed = await batch(grid(2, 2), flat);
  assert.deepEqual([mixed.count, mixed.width, mixed.height], [2, 2, 2]);
  assert.ok(mixed.pixels.subarray(12).every((v) => Math.abs(v - 0.4) <= 1 / 255));
  await assert.rejects(batch(grid(2, 2), { kind: 'LATENT' } as never), /input "image2" expects a IMAGE value/);
});

let host: EditHost;
before(async () => {
  host = await editHost();
});
after(async () => {
  await host?.dispose();
});

test('an edit cropped, enlarged and joined with its scaled source runs through the engine', async () => {
  const prompt = shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 1 });
  prompt['20'] = { class_type: 'ImageCrop', inputs: { image: ['9', 0], width: 32, height: 24, x: 8, y: 8 } };
  prompt['21'] = { class_type: 'ImageScaleBy', inputs: { image: ['20', 0], upscale_method: 'lanczos', scale_by: 2 } };
  prompt['22'] = { class_type: 'ImageBatch', inputs: { image1: ['21', 0], image2: ['3', 0] } };
  prompt['10']!.inputs.images = ['22', 0];
  const result = await execute(host, prompt);
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const images = result.outputs['10']?.images ?? [];
  assert.equal(images.length, 2, 'the crop and the source');
  for (const ref of images) {
    const { image } = await decodeImage(await readFile(host.files.resolve(ref.type as 'output', ref.subfolder, ref.filename)));
    assert.deepEqual([image.width, image.height], [64, 48]);
  }
  assert.ok(['20', '21', '22'].every((id) => result.executed.includes(id)), `ran ${result.executed.join(', ')}`);
});
