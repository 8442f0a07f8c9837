// Scale Image for Kontext: the centred crop keeps the target's shape before the resize, and the node picks the
// model's preferred size nearest the image's aspect ratio.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeImageBatch } from '../../nodes/sockets.js';
import { imageScaleToKontext } from '../../nodes/kontext/image-scale.js';
import { centreCrop } from '../../nodes/image/resample.js';
import type { NodeContext } from '../../server/engine/node-definition.js';
import { editHost, type EditHost } from './edit-host.js';

let host: EditHost;
before(async () => {
  host = await editHost();
});
after(async () => {
  await host?.dispose();
});

/** A w x h image whose red channel is x/w and green y/h, so a crop's position shows in its pixels. */
function ramp(w: number, h: number): ReturnType<typeof makeImageBatch> {
  const pixels = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) [pixels[(y * w + x) * 3], pixels[(y * w + x) * 3 + 1]] = [x / w, y / h];
  return makeImageBatch(1, h, w, pixels, [{ label: 'kept' }]);
}

test('the centred crop trims the long side evenly', () => {
  const wide = centreCrop(ramp(300, 100), 1, 1);
  assert.deepEqual([wide.width, wide.height], [100, 100]);
  assert.equal(wide.pixels[0], Math.fround(100 / 300), 'starts a third in');
  assert.deepEqual(wide.meta, [{ label: 'kept' }]);
  const tall = centreCrop(ramp(100, 300), 3, 2);
  assert.deepEqual([tall.width, tall.height], [100, 67]);
  const same = ramp(64, 32);
  assert.equal(centreCrop(same, 2, 1), same, 'already the right shape: unchanged');
});

test('the node resizes to the preferred size nearest the aspect ratio (crop or stretch)', async () => {
  const model = { kind: 'KONTEXT_MODEL', name: 'kontext-fixture', handle: await host.models.load('kontext-fixture') };
  const ctx = { services: host.services } as NodeContext;
  // The fixture lists 32x32, 32x48 and 48x32: 451x300 (3:2) -> 48x32; 100x310 -> 32x48.
  for (const [w, h, want] of [[451, 300, [48, 32]], [100, 310, [32, 48]], [50, 52, [32, 32]]] as const) {
    for (const fit of ['crop', 'stretch']) {
      const result = await imageScaleToKontext.run(ctx, { model, image: ramp(w, h), fit });
      const image = (result as { outputs: Array<{ width: number; height: number }> }).outputs[0]!;
      assert.deepEqual([image.width, image.height], want, `${w}x${h} ${fit}`);
    }
  }
});
