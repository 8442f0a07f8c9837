// Strength grids and animations are real images: decoded back, they have the promised size, frame count,
// frame timing and pixels in the right places.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import { composeCompareGrid, composeStrengthGrid, fitText } from '../../server/media/grid.js';
import { resizeImage } from '../../server/media/codec.js';
import { encodeAnimation, frameOrder, readAnimationInfo } from '../../server/media/animation.js';

/** K flat-grey images of w x h whose grey level is the strength. */
function sweep(strengths: number[], w: number, h: number): ImageBatch {
  const pixels = new Float32Array(strengths.length * w * h * 3);
  strengths.forEach((s, k) => pixels.fill(s, k * w * h * 3, (k + 1) * w * h * 3));
  return makeImageBatch(strengths.length, h, w, pixels, strengths.map((strength) => ({ strength })));
}

function pixel(image: ImageBatch, x: number, y: number): number[] {
  const p = (y * image.width + x) * 3;
  return [image.pixels[p]!, image.pixels[p + 1]!, image.pixels[p + 2]!];
}

test('the grid is one row: source then each strength, with a gap and a label band', async () => {
  const edits = sweep([0.25, 0.5, 1], 64, 48);
  const source = makeImageBatch(1, 96, 128, new Float32Array(96 * 128 * 3).fill(0));
  const grid = await composeStrengthGrid(source, edits, { gap: 4 });
  assert.equal(grid.count, 1);
  assert.equal(grid.width, 4 * 64 + 5 * 4);
  assert.ok(grid.height > 48 + 8, 'room for labels');
  // Centre of each tile: source (resized to 64x48, black), then the three greys.
  const centres = [0, 1, 2, 3].map((t) => pixel(grid, 4 + t * 68 + 32, 4 + 24)[0]!);
  assert.ok(Math.abs(centres[0]!) < 0.02);
  assert.ok(Math.abs(centres[1]! - 0.25) < 1e-6 && Math.abs(centres[2]! - 0.5) < 1e-6 && Math.abs(centres[3]! - 1) < 1e-6);
  // Labels put dark ink in the band below each tile; without labels the band is absent.
  const band = grid.pixels.subarray((4 + 48) * grid.width * 3);
  assert.ok(band.some((v) => v < 0.2), 'label ink present');
  const plain = await composeStrengthGrid(null, edits, { labels: false, gap: 0 });
  assert.deepEqual([plain.width, plain.height], [3 * 64, 48]);
});

test('columns wrap the grid into rows', async () => {
  const grid = await composeStrengthGrid(null, sweep([0, 0.2, 0.4, 0.6, 0.8], 32, 32), { columns: 2, labels: false, gap: 2 });
  assert.deepEqual([grid.width, grid.height], [2 * 32 + 3 * 2, 3 * 32 + 4 * 2]);
});

test('the compare grid stacks one strip per row under its label, fitting every row to the first one\'s tiles', async () => {
  const rowA = sweep([0.25, 0.5], 64, 48);
  const rowB = sweep([0.75, 1, 0.5], 32, 24); // other size and count: resized to 64x48, a longer strip
  const grid = await composeCompareGrid(null, [rowA, rowB], ['first', 'second'], { gap: 4, labels: false });
  const stripA = await composeStrengthGrid(null, rowA, { gap: 4, labels: false });
  const stripB = await composeStrengthGrid(null, await resizeImage(rowB, 64, 48), { gap: 4, labels: false });
  assert.equal(grid.width, Math.max(stripA.width, stripB.width));
  const band = (grid.height - stripA.height - stripB.height) / 2;
  assert.ok(Number.isInteger(band) && band > 7, `two label bands of equal height (${band})`);
  // Row 1's first tile under the first band, row 2's third tile under the second band.
  assert.ok(Math.abs(pixel(grid, 4 + 32, band + 4 + 24)[0]! - 0.25) < 1e-6);
  assert.ok(Math.abs(pixel(grid, 4 + 2 * 68 + 32, 2 * band + stripA.height + 4 + 24)[0]! - 0.5) < 0.02);
  // Ink in each band; none without labels.
  const bandInk = (y0: number) => grid.pixels.subarray(y0 * grid.width * 3, (y0 + band) * grid.width * 3).some((v) => v < 0.2);
  assert.ok(bandInk(0) && bandInk(band + stripA.height), 'both row labels are drawn');
  const unlabelled = await composeCompareGrid(null, [rowA, rowA], ['', '  '], { gap: 4, labels: false });
  assert.equal(unlabelled.height, 2 * stripA.height, 'no bands when no row has a label');
  await assert.rejects(composeCompareGrid(null, [], [], {}), /at least one row/);
  await assert.rejects(composeCompareGrid(null, [rowA, makeImageBatch(0, 48, 64, new Float32Array(0), [])], [], {}), /row 2 of the compare grid has no images/);
});

test('a label too long for its row is cut and ends in "..", never drawn past the grid', async () => {
  const row = sweep([0.5], 64, 48);
  const long = 'make the orange three sided shape look like glass, then some more words that do not fit';
  const grid = await composeCompareGrid(null, [row], [long], { gap: 4, labels: false });
  assert.equal(grid.width, 64 + 8);
  // 64 px hold 10 glyphs of 6 px at scale 1 (the last needs no spacing after it): 8 characters and "..".
  assert.equal(fitText(long, 1, 64), 'make the..');
  assert.equal(fitText('short', 1, 64), 'short');
  // The right gap column stays white in the band: the text stops inside the row's width.
  for (let y = 0; y < grid.height - 48 - 8; y++) assert.deepEqual(pixel(grid, grid.width - 1, y), [1, 1, 1]);
});

test('ping-pong plays forward then back without repeating the ends', () => {
  assert.deepEqual(frameOrder(4, true), [0, 1, 2, 3, 2, 1]);
  assert.deepEqual(frameOrder(4, false), [0, 1, 2, 3]);
  assert.deepEqual(frameOrder(1, true), [0]);
});

for (const format of ['webp', 'gif'] as const) {
  test(`an animated ${format} has the frames, size and timing asked for`, async () => {
    const edits = sweep([0.2, 0.6, 1], 40, 24);
    const source = makeImageBatch(1, 24, 40);
    const { data, frames } = await encodeAnimation(edits, format, { fps: 5, pingPong: true, source });
    assert.equal(frames, 6); // source + 3, then back: 0 1 2 3 2 1
    const info = await readAnimationInfo(data);
    assert.deepEqual([info.format, info.frames, info.width, info.height], [format, 6, 40, 24]);
    assert.deepEqual(info.delay, Array(6).fill(200));
    // Frame 3 (the strongest edit) is white-ish, frame 0 (the source) black.
    const raw = await sharp(data, { animated: true }).raw().toBuffer({ resolveWithObject: true });
    const channels = raw.info.channels;
    const frameBytes = 40 * 24 * channels;
    assert.ok(raw.data[3 * frameBytes + 12 * 40 * channels]! > 240);
    assert.ok(raw.data[12 * 40 * channels]! < 15);
  });
}

test('a bad fps is refused with its value', async () => {
  await assert.rejects(encodeAnimation(sweep([1], 8, 8), 'gif', { fps: 0 }), /fps 0 must be between/);
});
