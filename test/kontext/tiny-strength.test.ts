// With the shipped kontext-tiny model: the default workflow's edit moves away from the source as the strength
// grows (the whole point of Kontinuous Kontext), through the engine and the shipped nodes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../../server/media/codec.js';
import { REPO_DIR } from '../../server/config.js';
import type { ImageBatch } from '../../nodes/sockets.js';
import { editHost, execute, shippedPrompt, type EditHost } from './edit-host.js';

const TINY = path.join(REPO_DIR, 'models', 'kontext-tiny', 'manifest.json');
const STRENGTHS = [0, 0.25, 0.5, 0.75, 1];

let host: EditHost;
before(async () => {
  if (existsSync(TINY)) host = await editHost([], {});
});
after(async () => {
  await host?.dispose();
});

function meanAbsDifference(a: ImageBatch, ai: number, b: ImageBatch, bi: number): number {
  const size = a.width * a.height * 3;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += Math.abs(a.pixels[ai * size + i]! - b.pixels[bi * size + i]!);
  return sum / size;
}

async function read(result: Awaited<ReturnType<typeof execute>>, node: string, index: number): Promise<ImageBatch> {
  const image = result.outputs[node]!.images![index]!;
  return (await decodeImage(readFileSync(host.files.resolve(image.type, image.subfolder, image.filename)))).image;
}

for (const instruction of ['make it night', 'turn it into a pencil sketch']) {
  test(`kontext-tiny: "${instruction}" changes the image more as the strength grows`, { skip: existsSync(TINY) ? false : 'models/kontext-tiny is not installed yet' }, async (t) => {
    const result = await execute(host, shippedPrompt(host, 'strength-sweep.json', { '6.mode': 'list', '6.list': STRENGTHS.join(', '), '5.instruction': instruction }, 'kontext-tiny'));
    assert.equal(result.status, 'success', JSON.stringify(result.failures));
    // SaveImage #12 holds the frames; the source as the model saw it (Scale Image's output) is the grid's first tile.
    const frames = await Promise.all(STRENGTHS.map((_, k) => read(result, '12', k)));
    const grid = await read(result, '10', 0);
    const w = frames[0]!.width;
    const h = frames[0]!.height;
    // Cut the source tile out of the grid (4 px gap, first tile).
    const source = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) source.set(grid.pixels.subarray(((4 + y) * grid.width + 4) * 3, ((4 + y) * grid.width + 4 + w) * 3), y * w * 3);
    const src: ImageBatch = { kind: 'IMAGE', count: 1, width: w, height: h, pixels: source, meta: [{}] };
    const change = frames.map((frame) => meanAbsDifference(frame, 0, src, 0));
    const message = `mean |output - source| by strength ${STRENGTHS.join(', ')}: ${change.map((c) => c.toFixed(4)).join(', ')}`;
    t.diagnostic(message);
    for (let k = 1; k < change.length; k++) assert.ok(change[k]! >= change[k - 1]! - 0.003, `not monotone: ${message}`);
    assert.ok(change.at(-1)! > change[0]! + 0.03, `the full edit is not clearly further from the source than strength 0: ${message}`);
  });
}
