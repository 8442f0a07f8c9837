// Image From Batch: ComfyUI's clamping (existing prompts count on it), frames kept whole with their strengths, and
// a decoded sweep's frame picked out through the engine equals that strength rendered alone.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { imageFromBatchNode } from '../../nodes/image/image-from-batch.js';
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import type { NodeContext } from '../../server/engine/node-definition.js';
import { decodeImage } from '../../server/media/codec.js';
import { editHost, execute, shippedPrompt, type EditHost } from '../kontext/edit-host.js';

/** Four 2x1 frames whose pixels all hold the frame's number, labelled with strengths 0, 0.25, 0.5, 0.75. */
function numbered(count = 4): ImageBatch {
  const pixels = new Float32Array(count * 2 * 3);
  for (let k = 0; k < count; k++) pixels.fill(k, k * 6, (k + 1) * 6);
  return makeImageBatch(count, 1, 2, pixels, Array.from({ length: count }, (_, k) => ({ strength: k / 4 })));
}

async function take(image: ImageBatch, batch_index: number, length: number): Promise<ImageBatch> {
  const result = await imageFromBatchNode.run({} as NodeContext, { image, batch_index, length });
  return (result as { outputs: ImageBatch[] }).outputs[0]!;
}

test('takes length frames from batch_index, with their strengths', async () => {
  const out = await take(numbered(), 1, 2);
  assert.equal(out.count, 2);
  assert.deepEqual([...out.pixels], [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  assert.deepEqual(out.meta, [{ strength: 0.25 }, { strength: 0.5 }]);
});

test('clamps as ComfyUI does: past the end takes the last frame, length stops at the end', async () => {
  const last = await take(numbered(), 9, 1);
  assert.deepEqual([last.count, last.pixels[0], last.meta[0]!.strength], [1, 3, 0.75]);
  const tail = await take(numbered(), 2, 10);
  assert.deepEqual([tail.count, tail.pixels[0], tail.pixels[6]], [2, 2, 3]);
  const input = numbered();
  assert.equal(await take(input, 0, 4), input, 'the whole batch is passed on as it is');
});

test('a wrong link is named', async () => {
  await assert.rejects(async () => imageFromBatchNode.run({} as NodeContext, { image: { kind: 'LATENT' }, batch_index: 0, length: 1 }), /input "image" expects a IMAGE value/);
});

let host: EditHost;
before(async () => {
  host = await editHost();
});
after(async () => {
  await host?.dispose();
});

/** The image Save Image node `node` wrote in `result`, decoded. */
async function saved(result: Awaited<ReturnType<typeof execute>>, node: string): Promise<ImageBatch> {
  const image = result.outputs[node]?.images?.[0];
  assert.ok(image, `node ${node} saved an image`);
  return (await decodeImage(await readFile(host.files.resolve(image.type as 'output', image.subfolder, image.filename)))).image;
}

/** Largest per-pixel difference of two images of one size. */
function maxDifference(a: ImageBatch, b: ImageBatch): number {
  let worst = 0;
  for (let i = 0; i < a.pixels.length; i++) worst = Math.max(worst, Math.abs(a.pixels[i]! - b.pixels[i]!));
  return worst;
}

test('a frame taken from a decoded sweep equals that strength rendered alone (kontext-tiny)', async () => {
  // kontext-tiny, not the random-weight fixture: its frames differ with the strength, so the wrong frame shows.
  const sets = { '8.steps': 4, '8.seed': 7 };
  const pick = async (index: number): Promise<ImageBatch> => {
    const sweep = shippedPrompt(host, 'kontinuous-edit.json', { ...sets, '6.mode': 'list', '6.list': '0, 0.5, 1' }, 'kontext-tiny');
    sweep['20'] = { class_type: 'ImageFromBatch', inputs: { image: ['9', 0], batch_index: index, length: 1 } };
    sweep['10']!.inputs.images = ['20', 0];
    const result = await execute(host, sweep);
    assert.equal(result.status, 'success', JSON.stringify(result.failures));
    assert.equal(result.outputs['10']?.images?.length, 1, 'one frame saved');
    return saved(result, '10');
  };
  const alone = await saved(await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { ...sets, '6.mode': 'single', '6.value': 0.5 }, 'kontext-tiny')), '10');
  assert.ok(maxDifference(await pick(1), alone) <= 2 / 255, 'frame 1 is s = 0.5');
  assert.ok(maxDifference(await pick(2), alone) > 0.1, 'frame 2 (s = 1) is another image');
});
