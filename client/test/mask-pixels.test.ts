// The mask editor's pixel helpers in Node: alpha plane <-> coverage round trips (partial values included), brush
// segments at image resolution (unbroken lines, clipped at the edges, erasing), invert/clear and the overlay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clearMask,
  clipspaceMaskName,
  emptyMask,
  fullRect,
  invertMask,
  maskedPixelCount,
  maskFromAlphaPlane,
  maskToAlphaPixels,
  OVERLAY_COLOUR,
  paintSegment,
  renderOverlay,
  type MaskPlane,
} from '../src/mask/mask-pixels.js';

/** The mask as rows of '#' (masked) and '.' (untouched), for readable expectations. */
function picture(mask: MaskPlane): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.height; y++) rows.push(Array.from(mask.values.subarray(y * mask.width, (y + 1) * mask.width), (v) => (v ? '#' : '.')).join(''));
  return rows;
}

test('reads coverage from the greyscale alpha plane and writes it back as PNG alpha unchanged', () => {
  // /view?channel=a gives grey = alpha: 255 opaque (untouched), 0 transparent (masked), 128 half.
  const greys = [255, 0, 128, 255, 7, 255];
  const rgba = new Uint8ClampedArray(greys.flatMap((g) => [g, g, g, 255]));
  const mask = maskFromAlphaPlane(rgba, 3, 2);
  assert.deepEqual([...mask.values], [0, 255, 127, 0, 248, 0]);
  const pixels = maskToAlphaPixels(mask);
  assert.equal(pixels.length, 24);
  assert.deepEqual([...pixels].filter((_, i) => i % 4 === 3), greys, 'alpha round-trips exactly');
  assert.ok([...pixels].every((v, i) => i % 4 === 3 || v === 0), 'RGB is black (the server ignores it)');
  assert.throws(() => maskFromAlphaPlane(rgba, 4, 2), /expected 32 RGBA bytes for 4x2, got 24/);
});

test('a brush segment covers the pixels within its radius, unbroken from end to end', () => {
  const mask = emptyMask(12, 5);
  const changed = paintSegment(mask, { x: 2.5, y: 2.5 }, { x: 9.5, y: 2.5 }, 3, 255)!;
  // Round ends: a pixel centre 1 px beyond an end point is inside the 1.5 px radius, one 2 px beyond is not.
  assert.deepEqual(picture(mask), ['............', '.##########.', '.##########.', '.##########.', '............']);
  for (let p = 0; p < mask.values.length; p++) {
    const [x, y] = [p % mask.width, Math.floor(p / mask.width)];
    const inside = x >= changed.x && x < changed.x + changed.width && y >= changed.y && y < changed.y + changed.height;
    if (mask.values[p]) assert.ok(inside, `the bounds to redraw contain the change at ${x},${y}`);
  }
  // Erasing with the same brush takes a bite out of the middle.
  paintSegment(mask, { x: 6, y: 2.5 }, { x: 6, y: 2.5 }, 2, 0);
  assert.deepEqual(picture(mask), ['............', '.##########.', '.####..####.', '.##########.', '............']);
});

test('a tiny brush still paints the pixel under it, and strokes off the image change nothing', () => {
  const mask = emptyMask(4, 4);
  assert.deepEqual(paintSegment(mask, { x: 2.99, y: 0.01 }, { x: 2.99, y: 0.01 }, 1, 255), { x: 2, y: 0, width: 2, height: 2 });
  assert.equal(mask.values[2], 255);
  assert.equal(maskedPixelCount(mask), 1);
  assert.equal(paintSegment(mask, { x: -30, y: -30 }, { x: -20, y: -25 }, 8, 255), null);
  // A stroke running off the edge is clipped to the image.
  paintSegment(mask, { x: 2.8, y: 3.5 }, { x: 40, y: 3.5 }, 1, 255);
  assert.deepEqual(picture(mask)[3], '..##');
});

test('invert and clear work on the whole plane; the overlay shows coverage as opacity', () => {
  const mask = emptyMask(2, 2);
  mask.values.set([0, 255, 100, 0]);
  invertMask(mask);
  assert.deepEqual([...mask.values], [255, 0, 155, 255]);
  const overlay = new Uint8ClampedArray(16);
  renderOverlay(mask, overlay, fullRect(mask));
  assert.deepEqual([...overlay.subarray(0, 3)], [...OVERLAY_COLOUR]);
  assert.deepEqual([...overlay].filter((_, i) => i % 4 === 3), [153, 0, 93, 153]);
  clearMask(mask);
  assert.equal(maskedPixelCount(mask), 0);
});

test('mask files get ComfyUI\'s clipspace names', () => {
  assert.equal(clipspaceMaskName(1700000000000), 'clipspace-mask-1700000000000.png');
  assert.match(clipspaceMaskName(), /^clipspace-mask-\d+\.png$/);
});

test('the mask history undoes and redoes in order, forgets redo after a new change, and keeps a bounded number of steps', async () => {
  const { MaskHistory } = await import('../src/mask/mask-history.js');
  const mask = emptyMask(2, 1);
  const history = new MaskHistory(mask);
  assert.equal(history.undo(), false, 'nothing to undo yet');
  history.checkpoint();
  mask.values[0] = 255;
  history.checkpoint();
  mask.values[1] = 255;
  assert.ok(history.undo());
  assert.deepEqual([...mask.values], [255, 0]);
  assert.ok(history.undo());
  assert.deepEqual([...mask.values], [0, 0]);
  assert.equal(history.canUndo, false);
  assert.ok(history.redo());
  assert.deepEqual([...mask.values], [255, 0]);
  history.checkpoint();
  invertMask(mask);
  assert.equal(history.canRedo, false, 'a new change forgets what was undone');
  assert.ok(history.undo());
  assert.deepEqual([...mask.values], [255, 0]);
  const big = emptyMask(4096, 4096);
  const bounded = new MaskHistory(big);
  for (let i = 0; i < 10; i++) {
    bounded.checkpoint();
    big.values[0] = i + 1;
  }
  let undone = 0;
  while (bounded.undo()) undone++;
  assert.equal(undone, 4, '64 MB of 16 MB snapshots');
  assert.equal(big.values[0], 6, 'the oldest steps were dropped');
});

test('a soft brush fades out towards its edge, only raises coverage when painting and only lowers it when erasing', () => {
  const mask = emptyMask(21, 1);
  paintSegment(mask, { x: 10.5, y: 0.5 }, { x: 10.5, y: 0.5 }, 20, 255, 0.5);
  // Radius 10, full strength within 5 px of the centre, then a linear fade to 0 at 10 px.
  assert.deepEqual([mask.values[10], mask.values[15], mask.values[16], mask.values[18], mask.values[20]], [255, 255, 204, 102, 0]);
  assert.deepEqual([...mask.values.subarray(0, 11)].reverse(), [...mask.values.subarray(10)], 'symmetric');
  const before = [...mask.values];
  paintSegment(mask, { x: 18.5, y: 0.5 }, { x: 18.5, y: 0.5 }, 4, 255, 1);
  assert.ok(mask.values.every((v, i) => v >= before[i]!), 'painting never lowers coverage');
  assert.equal(mask.values[18], 255);
  paintSegment(mask, { x: 10.5, y: 0.5 }, { x: 10.5, y: 0.5 }, 8, 0, 1);
  assert.equal(mask.values[10], 0, 'the eraser\'s centre clears');
  assert.equal(mask.values[12], 127, 'half-way out it takes half of what was there (255 -> 127)');
  assert.equal(mask.values[15], 255, 'outside its radius nothing changes');
});
