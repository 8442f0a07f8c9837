// The preview pump: newest prediction first, stale ones dropped, nothing sent after close, and a failing preview
// never fails the edit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { PreviewPump, previewStrip } from '../../nodes/kontext/preview.js';
import type { FloatTensor } from '../../nodes/kontext/math/index.js';

const tensor = (value: number): FloatTensor => ({ data: new Float32Array([value]), dims: [1] });

test('while a preview is being made, only the newest offer is made next', async () => {
  const made: number[] = [];
  const sent: number[] = [];
  let release: () => void = () => {};
  const pump = new PreviewPump(
    async (x0) => {
      made.push(x0.data[0]!);
      if (made.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return new Uint8Array([x0.data[0]!]);
    },
    (jpeg) => sent.push(jpeg[0]!),
    (error) => assert.fail(String(error)),
  );
  pump.offer(tensor(1));
  pump.offer(tensor(2));
  pump.offer(tensor(3));
  release();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(made, [1, 3]);
  assert.deepEqual(sent, [1, 3]);
  await pump.close();
  pump.offer(tensor(4));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(sent, [1, 3], 'nothing after close');
});

test('close waits for the preview in progress (sent) and drops the waiting one; errors are reported, not thrown', async () => {
  const sent: number[] = [];
  const errors: unknown[] = [];
  const pump = new PreviewPump(
    async (x0) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (x0.data[0] === 9) throw new Error('decoder broke');
      return new Uint8Array([x0.data[0]!]);
    },
    (jpeg) => sent.push(jpeg[0]!),
    (error) => errors.push(error),
  );
  pump.offer(tensor(7));
  pump.offer(tensor(5));
  await pump.close();
  assert.deepEqual(sent, [7], 'the one in progress is sent before close resolves; 5 is dropped');
  const failing = new PreviewPump(async () => Promise.reject(new Error('decoder broke')), () => assert.fail('nothing to send'), (error) => errors.push(error));
  failing.offer(tensor(9));
  await failing.close();
  assert.equal(errors.length, 1);
});

test('a preview strip is a JPEG with the batch side by side', async () => {
  const k = 3;
  const [h, w] = [8, 6];
  const data = new Float32Array(k * 3 * h * w);
  for (let i = 0; i < k; i++) data.fill(i - 1, i * 3 * h * w, (i + 1) * 3 * h * w); // -1, 0, 1: black, grey, white
  const jpeg = await previewStrip({ data, dims: [k, 3, h, w] });
  const { data: rgb, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [k * w, h]);
  const at = (x: number): number => rgb[(4 * info.width + x) * info.channels]!;
  assert.ok(at(2) < 30 && Math.abs(at(w + 3) - 128) < 30 && at(2 * w + 3) > 225);
});
