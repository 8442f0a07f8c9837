// The mask nodes and Composite Masked: ComfyUI's rules on known values (torch's bilinear mask resize and
// ImageBlur's kernel checked against numbers torch computed), and a masked edit on kontext-tiny's fixture through
// the engine: inside the mask the edit, outside it the scaled source, pixel for pixel.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { imageBlurNode } from '../../nodes/image/image-blur.js';
import { imageCompositeMaskedNode } from '../../nodes/image/image-composite-masked.js';
import { growMask } from '../../nodes/mask/grow-mask.js';
import { imageToMaskNode } from '../../nodes/mask/image-to-mask.js';
import { invertMaskNode } from '../../nodes/mask/invert-mask.js';
import { makeMaskBatch, resizeMask, type MaskBatch } from '../../nodes/mask/mask.js';
import { maskToImageNode } from '../../nodes/mask/mask-to-image.js';
import { solidMaskNode } from '../../nodes/mask/solid-mask.js';
import { thresholdMaskNode } from '../../nodes/mask/threshold-mask.js';
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import type { NodeContext, NodeDefinition } from '../../server/engine/node-definition.js';
import { decodeImage } from '../../server/media/codec.js';
import { editHost, execute, shippedPrompt, type EditHost } from '../kontext/edit-host.js';

async function first<T>(node: NodeDefinition, inputs: Record<string, unknown>): Promise<T> {
  return ((await node.run({ signal: new AbortController().signal } as NodeContext, inputs)) as { outputs: T[] }).outputs[0]!;
}

const rounded = (values: Float32Array, digits = 6): number[] => Array.from(values, (v) => Number(v.toFixed(digits)));

/** A flat image of one grey level per item, with its strength. */
function flat(w: number, h: number, levels: number[]): ImageBatch {
  const pixels = new Float32Array(levels.length * w * h * 3);
  levels.forEach((level, b) => pixels.fill(level, b * w * h * 3, (b + 1) * w * h * 3));
  return makeImageBatch(levels.length, h, w, pixels, levels.map((_, b) => ({ strength: b / Math.max(1, levels.length - 1) })));
}

const reds = (img: ImageBatch): number[] => Array.from({ length: img.count * img.width * img.height }, (_, i) => Number(img.pixels[i * 3]!.toFixed(4)));

test('masks resize as torch\'s bilinear interpolate does (corners not aligned)', () => {
  const up = resizeMask(makeMaskBatch(1, 2, 2, Float32Array.from([0, 1, 2, 3])), 4, 3);
  assert.deepEqual(rounded(up.values), [0, 0.25, 0.75, 1, 1, 1.25, 1.75, 2, 2, 2.25, 2.75, 3]);
  const down = resizeMask(makeMaskBatch(1, 3, 4, Float32Array.from({ length: 12 }, (_, i) => i / 11)), 3, 2);
  assert.deepEqual(rounded(down.values), [0.106061, 0.227273, 0.348485, 0.651515, 0.772727, 0.893939]);
  assert.throws(() => resizeMask(down, 100_000, 100_000, 'mask'), /mask: 1 mask\(s\) of 100000x100000 exceed/);
});

test('Composite Masked pastes where the mask is 1, blends in between, and keeps the destination elsewhere', async () => {
  const mask = makeMaskBatch(1, 1, 3, Float32Array.from([1, 0.5, 0]));
  const out = await first<ImageBatch>(imageCompositeMaskedNode, { destination: flat(3, 1, [0.2]), source: flat(3, 1, [1]), x: 0, y: 0, resize_source: false, mask });
  assert.deepEqual(reds(out), [1, 0.6, 0.2]);
  // Placed at (2, 1) on a 4x3 destination, a 3x3 source is clipped to the 2x2 that overlaps.
  const placed = await first<ImageBatch>(imageCompositeMaskedNode, { destination: flat(4, 3, [0]), source: flat(3, 3, [1]), x: 2, y: 1, resize_source: false });
  assert.deepEqual(reds(placed), [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  const outside = await first<ImageBatch>(imageCompositeMaskedNode, { destination: flat(4, 3, [0]), source: flat(3, 3, [1]), x: 99, y: 0, resize_source: false });
  assert.deepEqual(reds(outside), new Array(12).fill(0), 'a source placed past the edge leaves the destination');
  const resized = await first<ImageBatch>(imageCompositeMaskedNode, { destination: flat(4, 2, [0]), source: flat(2, 1, [128 / 255]), x: 0, y: 0, resize_source: true });
  assert.deepEqual(reds(resized), new Array(8).fill(0.502), 'resize_source fits the source to the destination');
});

test('Composite Masked widens one destination to a sweep and keeps the sweep\'s strengths', async () => {
  const sweep = flat(2, 1, [0.25, 0.5, 1]);
  const mask = makeMaskBatch(1, 1, 1, Float32Array.from([1]));   // resized to the 2x1 source: all ones
  const out = await first<ImageBatch>(imageCompositeMaskedNode, { destination: flat(3, 1, [0]), source: sweep, x: 1, y: 0, resize_source: false, mask });
  assert.equal(out.count, 3);
  assert.deepEqual(reds(out), [0, 0.25, 0.25, 0, 0.5, 0.5, 0, 1, 1]);
  assert.deepEqual(out.meta.map((m) => m.strength), [0, 0.5, 1]);
  // Two destinations keep two items (ComfyUI's rule): the source's items repeat or are cut to fit.
  const two = await first<ImageBatch>(imageCompositeMaskedNode, { destination: flat(1, 1, [0, 0]), source: sweep, x: 0, y: 0, resize_source: false });
  assert.deepEqual(reds(two), [0.25, 0.5]);
  await assert.rejects(first(imageCompositeMaskedNode, { destination: flat(1, 1, [0]), source: sweep, x: 0, y: 0, resize_source: false, mask: sweep }),
    /input "mask" expects a MASK value/);
});

test('Grow Mask dilates by one 3x3 step per pixel, a cross when tapered, and shrinks for a negative expand', async () => {
  const dot = makeMaskBatch(1, 5, 5, Float32Array.from({ length: 25 }, (_, i) => (i === 12 ? 1 : 0)));
  const cross = await growMask(dot, 1, true);
  assert.deepEqual(Array.from(cross.values), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  const square = await growMask(dot, 1, false);
  assert.deepEqual(Array.from(square.values), [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from((await growMask(square, -1, false)).values), Array.from(dot.values), 'erosion undoes the dilation');
  assert.equal((await growMask(dot, 16384, true)).values.every((v) => v === 1), true, 'a huge expand fills the plane (and returns)');
  const soft = makeMaskBatch(1, 1, 3, Float32Array.from([0.2, 0.7, 0.4]));
  assert.deepEqual(rounded((await growMask(soft, 1, true)).values), [0.7, 0.7, 0.7], 'grey values dilate too');
});

test('Grow Mask on a large mask keeps the event loop turning and stops when interrupted', async () => {
  const big = makeMaskBatch(1, 1000, 1000);
  big.values[500_500] = 1;
  const controller = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    if (ticks === 3) controller.abort(new Error('interrupted'));
  }, 5);
  await assert.rejects(growMask(big, 2000, true, controller.signal), /interrupted/);
  clearInterval(timer);
  assert.ok(ticks >= 3, 'timers ran while the mask grew');
});

test('Invert, Threshold, Solid and the mask-image conversions', async () => {
  const mask = makeMaskBatch(1, 1, 3, Float32Array.from([0, 0.25, 1]));
  assert.deepEqual(rounded((await first<MaskBatch>(invertMaskNode, { mask })).values), [1, 0.75, 0]);
  assert.deepEqual(Array.from((await first<MaskBatch>(thresholdMaskNode, { mask, value: 0.25 })).values), [0, 0, 1]);
  const solid = await first<MaskBatch>(solidMaskNode, { value: 0.3, width: 4, height: 2 });
  assert.deepEqual([solid.width, solid.height, rounded(solid.values, 3)[7]], [4, 2, 0.3]);
  await assert.rejects(first(solidMaskNode, { value: 1, width: 16384, height: 16384 }), /width, height: a 16384x16384 mask exceeds/);
  const image = await first<ImageBatch>(maskToImageNode, { mask });
  assert.deepEqual(rounded(image.pixels, 2), [0, 0, 0, 0.25, 0.25, 0.25, 1, 1, 1]);
  const rgb = makeImageBatch(1, 1, 2, Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]));
  assert.deepEqual(rounded((await first<MaskBatch>(imageToMaskNode, { image: rgb, channel: 'green' })).values, 2), [0.2, 0.5]);
  await assert.rejects(first(imageToMaskNode, { image: rgb, channel: 'alpha' }), /channel: images between nodes have no alpha channel/);
});

test('Image Blur matches ComfyUI\'s kernel (sigma in radii) with mirrored edges, as torch computed it', async () => {
  const values = Array.from({ length: 20 }, (_, i) => (i % 7) / 6);
  const image = makeImageBatch(1, 4, 5, Float32Array.from(values.flatMap((v) => [v, v, v])), [{ strength: 0.5 }]);
  const out = await first<ImageBatch>(imageBlurNode, { image, blur_radius: 2, sigma: 0.7 });
  const expected = [0.53566, 0.516579, 0.449147, 0.415532, 0.387864, 0.528939, 0.51841, 0.469497, 0.449434, 0.427881,
    0.536416, 0.552355, 0.544291, 0.547251, 0.534339, 0.567316, 0.585693, 0.576073, 0.575039, 0.559601];
  reds(out).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `pixel ${i}: ${v} vs ${expected[i]}`));
  assert.deepEqual(out.meta, [{ strength: 0.5 }]);
});

let host: EditHost;
before(async () => {
  host = await editHost();
});
after(async () => {
  await host?.dispose();
});

test('the masked template edits only inside the transparent area of the file, through the engine', async () => {
  // A 64x48 file whose right half is transparent: that half of the scaled image is the edit, the rest the source.
  const rgba = Buffer.alloc(64 * 48 * 4);
  for (let p = 0; p < 64 * 48; p++) rgba.set([(p * 7) % 256, (p * 3) % 256, 128, p % 64 >= 32 ? 0 : 255], p * 4);
  await writeFile(host.files.resolve('input', '', 'half.png'), await sharp(rgba, { raw: { width: 64, height: 48, channels: 4 } }).png().toBuffer());
  const prompt = shippedPrompt(host, 'masked-edit.json', { '1.image': 'half.png', '8.steps': 1, '3.fit': 'stretch' });
  prompt['20'] = { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'source' } };
  prompt['21'] = { class_type: 'SaveImage', inputs: { images: ['9', 0], filename_prefix: 'edit' } };
  const result = await execute(host, prompt);
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const load = async (id: string): Promise<ImageBatch> => {
    const ref = result.outputs[id]!.images![0]!;
    return (await decodeImage(await readFile(host.files.resolve(ref.type as 'output', ref.subfolder, ref.filename)))).image;
  };
  const [composite, source, edit] = [await load('11'), await load('20'), await load('21')];
  const { width, height } = composite;
  let left = 0;
  let right = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      // Away from the seam, where the bilinear mask is exactly 0 or 1.
      if (x < width / 2 - 2) left = Math.max(left, Math.abs(composite.pixels[i]! - source.pixels[i]!));
      if (x > width / 2 + 1) right = Math.max(right, Math.abs(composite.pixels[i]! - edit.pixels[i]!));
    }
  }
  assert.ok(left <= 1 / 255 + 1e-6, `outside the mask the source stays (largest difference ${left})`);
  assert.ok(right <= 1 / 255 + 1e-6, `inside the mask the edit shows (largest difference ${right})`);
  const changed = Array.from({ length: width * height }, (_, p) => Math.abs(edit.pixels[p * 3]! - source.pixels[p * 3]!)).filter((d) => d > 2 / 255).length;
  assert.ok(changed > width * height * 0.1, 'the edit differs from the source, so the halves are told apart');
});

test('Scale Image for Kontext crops the mask with the image, and refuses a mask of another image', async () => {
  const rgba = Buffer.alloc(90 * 30 * 4, 255);
  for (let p = 0; p < 90 * 30; p++) if (p % 90 < 45) rgba[p * 4 + 3] = 0;   // left half transparent
  await writeFile(host.files.resolve('input', '', 'wide.png'), await sharp(rgba, { raw: { width: 90, height: 30, channels: 4 } }).png().toBuffer());
  const prompt = shippedPrompt(host, 'masked-edit.json', { '1.image': 'wide.png', '3.fit': 'crop' });
  const result = await execute(host, { '1': prompt['1']!, '2': prompt['2']!, '3': prompt['3']!, '12': prompt['12']! });
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const ref = result.outputs['12']!.images![0]!;
  const { image } = await decodeImage(await readFile(host.files.resolve(ref.type as 'temp', ref.subfolder, ref.filename)));
  // The centre crop keeps the middle of a 3:1 image, so the seam stays in the middle of the scaled mask.
  const row = Array.from({ length: image.width }, (_, x) => image.pixels[((image.height >> 1) * image.width + x) * 3]!);
  assert.ok(row[0]! > 0.99 && row[image.width - 1]! < 0.01, `masked on the left, not on the right: ${row[0]} .. ${row[image.width - 1]}`);
  const seam = row.findIndex((v) => v < 0.5);
  assert.ok(Math.abs(seam - image.width / 2) <= 1, `the seam at ${seam} of ${image.width}`);
  const mismatched = shippedPrompt(host, 'masked-edit.json');
  mismatched['30'] = { class_type: 'SolidMask', inputs: { value: 1, width: 8, height: 8 } };
  mismatched['3']!.inputs.mask = ['30', 0];
  const failed = await execute(host, mismatched);
  assert.equal(failed.status, 'error');
  assert.match(JSON.stringify(failed.failures), /mask: the mask is 8x8 but the image is 451x300/);
});

test('Kontext Denoise with a mask keeps the reference latent outside it exactly, at every strength and across split calls', async () => {
  const { kontextDenoise } = await import('../../nodes/kontext/denoise.js');
  const { makeLatent } = await import('../../nodes/kontext/sockets.js');
  const { KontextPipeline } = await import('../../server/runtime/kontext-pipeline.js');
  const handle = await host.models.load('kontext-fixture');
  const text = await host.models.encodeText(handle, 'make it night');
  const pixels = Float32Array.from({ length: 3 * 32 * 64 }, (_, i) => (i % 7) / 7);
  const z = await host.models.encodeImage(handle, { data: pixels, dims: [1, 3, 32, 64] });
  const [, channels, h, w] = z.dims as [number, number, number, number];
  const model = { kind: 'KONTEXT_MODEL', name: 'kontext-fixture', handle };
  const conditioning = { kind: 'CONDITIONING', model: 'kontext-fixture', text: 'make it night', pooled: text.pooled.data, pooledDim: text.pooled.dims[1], embeds: text.embeds.data, seqLen: text.embeds.dims[1], embedDim: text.embeds.dims[2] };
  const reference = makeLatent('kontext-fixture', 1, channels, h, w, z.data, [{}]);
  const strengths = [0, 0.5, 1];
  const mod = await host.models.project(handle, strengths, text.pooled);
  const modulation = { kind: 'MODULATION', model: 'kontext-fixture', strengths, data: mod.data, dim: mod.dims[1] };
  // The right half of the 64x32 image is edited: on the 8x4 latent grid, columns 4-7.
  const mask = makeMaskBatch(1, 32, 64, Float32Array.from({ length: 32 * 64 }, (_, i) => (i % 64 >= 32 ? 1 : 0)));
  const run = async (pipeline: unknown, withMask: boolean): Promise<Float32Array> => {
    const ctx = { signal: new AbortController().signal, progress: () => {}, preview: () => {}, services: { ...host.services, models: pipeline } } as never;
    const inputs = { model, conditioning, reference, modulation, seed: 5, steps: 2, guidance: 2.5, ...(withMask && { mask }) };
    return ((await kontextDenoise.run(ctx, inputs)) as { outputs: Array<{ data: Float32Array }> }).outputs[0]!.data;
  };
  const tokensPerItem = 2 * (h / 2) * (w / 2) + text.embeds.dims[1]!;
  const oneAtATime = new KontextPipeline(host.models.registry, host.models.runtime, { transformerTokensPerCall: tokensPerItem });
  const masked = await run(host.models, true);
  const split = await run(oneAtATime, true);
  const whole = await run(host.models, false);
  const item = channels * h * w;
  let keptError = 0;
  let editedChange = 0;
  let splitError = 0;
  for (let k = 0; k < strengths.length; k++) {
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const at = k * item + (c * h + y) * w + x;
          const ref = z.data[(c * h + y) * w + x]!;
          if (x < w / 2 - 1) keptError = Math.max(keptError, Math.abs(masked[at]! - ref));
          if (x > w / 2) editedChange = Math.max(editedChange, Math.abs(masked[at]! - ref));
          splitError = Math.max(splitError, Math.abs(masked[at]! - split[at]!));
        }
      }
    }
  }
  assert.equal(keptError, 0, 'outside the mask the latent is the reference');
  assert.ok(editedChange > 0.1, `inside the mask the edit happens (${editedChange})`);
  assert.ok(splitError <= 1e-6, `one strength per call gives the same (${splitError})`);
  assert.notDeepEqual(Array.from(masked), Array.from(whole), 'the mask changes the result');
});

test('Load Image (as Mask) reads the alpha inverted or a colour channel as it is, and names a missing file', async () => {
  // 4x1: alpha 255, 0, 128, 255; red 0, 255, 51, 204.
  const rgba = Buffer.from([0, 9, 9, 255, 255, 9, 9, 0, 51, 9, 9, 128, 204, 9, 9, 255]);
  await writeFile(host.files.resolve('input', '', 'mask-src.png'), await sharp(rgba, { raw: { width: 4, height: 1, channels: 4 } }).png().toBuffer());
  await writeFile(host.files.resolve('input', '', 'opaque.png'), await sharp(Buffer.alloc(12, 200), { raw: { width: 4, height: 1, channels: 3 } }).png().toBuffer());
  const prompt = {
    '1': { class_type: 'LoadImageMask', inputs: { image: 'mask-src.png', channel: 'alpha' } },
    '2': { class_type: 'LoadImageMask', inputs: { image: 'mask-src.png', channel: 'red' } },
    '3': { class_type: 'LoadImageMask', inputs: { image: 'opaque.png', channel: 'alpha' } },
    '4': { class_type: 'MaskPreview', inputs: { mask: ['1', 0] } },
    '5': { class_type: 'MaskPreview', inputs: { mask: ['2', 0] } },
    '6': { class_type: 'MaskPreview', inputs: { mask: ['3', 0] } },
  };
  const result = await execute(host, prompt);
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const greysOf = async (id: string): Promise<number[]> => {
    const ref = result.outputs[id]!.images![0]!;
    const { image } = await decodeImage(await readFile(host.files.resolve(ref.type as 'temp', ref.subfolder, ref.filename)));
    return Array.from({ length: 4 }, (_, i) => Math.round(image.pixels[i * 3]! * 255));
  };
  assert.deepEqual(await greysOf('4'), [0, 255, 127, 0], 'alpha inverted: transparent is masked');
  assert.deepEqual(await greysOf('5'), [0, 255, 51, 204], 'red as it is');
  assert.deepEqual(await greysOf('6'), [0, 0, 0, 0], 'no alpha: nothing masked');
  await assert.rejects(execute(host, { '1': { class_type: 'LoadImageMask', inputs: { image: 'nowhere.png', channel: 'alpha' } }, '2': { class_type: 'MaskPreview', inputs: { mask: ['1', 0] } } }),
    /Value not in list: image: 'nowhere\.png'/);
});
