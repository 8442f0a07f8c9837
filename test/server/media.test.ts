// The sharp adapter and PNG text chunks: decode/encode round trips, previews, resize, sniffing and refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { makeImageBatch } from '../../nodes/sockets.js';
import { decodeImage, encodeJpeg, encodePng, encodeWebp, ImageRejectedError, resizeImage, sniffImage, toRgb8, transcodeImage } from '../../server/media/codec.js';
import { addPngText, asciiJson, readPngChunks } from '../../server/media/png-text.js';
import { readPngText } from '../../server/engine/workflow/png-text.js';

function gradient(count: number, height: number, width: number) {
  const image = makeImageBatch(count, height, width);
  for (let b = 0; b < count; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = ((b * height + y) * width + x) * 3;
        image.pixels[i] = x / (width - 1);
        image.pixels[i + 1] = y / (height - 1);
        image.pixels[i + 2] = b / Math.max(1, count - 1);
      }
  return image;
}

describe('codec', () => {
  it('round-trips a batch item through PNG exactly (8-bit) with text chunks', async () => {
    const image = gradient(2, 5, 7);
    const png = await encodePng(image, 1, { prompt: asciiJson({ text: 'naïve ✓ edit' }) });
    assert.deepEqual(JSON.parse(readPngText(png).prompt!), { text: 'naïve ✓ edit' });
    const { image: back, alpha } = await decodeImage(png);
    assert.equal(alpha, null);
    assert.deepEqual([back.count, back.height, back.width], [1, 5, 7]);
    const expected = toRgb8(image, 1);
    const got = toRgb8(back, 0);
    assert.deepEqual(got, expected);
  });

  it('clamps out-of-range and NaN values instead of wrapping', () => {
    const image = makeImageBatch(1, 1, 2, new Float32Array([-0.5, 1.5, Number.NaN, 0.5, 1, 0]));
    assert.deepEqual([...toRgb8(image, 0)], [0, 255, 0, 128, 255, 0]);
    assert.throws(() => toRgb8(image, 1), RangeError);
  });

  it('decodes alpha and applies EXIF orientation', async () => {
    const rgba = await sharp({ create: { width: 3, height: 2, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.25 } } }).png().toBuffer();
    const { alpha } = await decodeImage(rgba);
    assert.ok(alpha && Math.abs(alpha[0]! - 64 / 255) < 0.01);
    const rotated = await sharp({ create: { width: 4, height: 2, channels: 3, background: 'red' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { image } = await decodeImage(rotated);
    assert.deepEqual([image.width, image.height], [2, 4]);
  });

  it('encodes JPEG and WebP previews and resizes with lanczos3', async () => {
    const image = gradient(1, 16, 16);
    assert.equal((await sharp(await encodeJpeg(image, 0, 80)).metadata()).format, 'jpeg');
    assert.equal((await sharp(await encodeWebp(image, 0, 80)).metadata()).format, 'webp');
    const small = await resizeImage(image, 8, 4);
    assert.deepEqual([small.width, small.height, small.pixels.length], [8, 4, 8 * 4 * 3]);
    assert.ok(small.pixels[0]! < 0.1 && small.pixels[(8 - 1) * 3]! > 0.9, 'the horizontal gradient survives');
    await assert.rejects(resizeImage(image, 0, 4), RangeError);
  });

  it('sniffs by magic bytes and refuses SVG, text, truncated files and bombs', async () => {
    const png = await encodePng(gradient(1, 4, 4), 0);
    assert.deepEqual(await sniffImage(png), { format: 'png', width: 4, height: 4, hasAlpha: false, pages: 1 });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    await assert.rejects(sniffImage(svg), ImageRejectedError);
    await assert.rejects(sniffImage(Buffer.from('hello world, not an image')), ImageRejectedError);
    await assert.rejects(sniffImage(png.subarray(0, 20)), ImageRejectedError);
    const big = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: 'black' } }).png().toBuffer();
    await assert.rejects(sniffImage(big, 1_000_000), /3000x3000 = 9000000 pixels, more than the limit/);
    await assert.rejects(decodeImage(big, 1_000_000), ImageRejectedError);
    const webp = await transcodeImage(png, { format: 'webp', quality: 50 });
    assert.equal(webp.format, 'webp');
  });
});

describe('PNG text chunks', () => {
  it('inserts tEXt before IEND, keeps the image readable, and refuses bad keywords', async () => {
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: 'blue' } }).png().toBuffer();
    const withText = addPngText(png, { prompt: '{"a":1}', workflow: '{}' });
    const names = readPngChunks(withText).map((c) => c.name);
    assert.deepEqual(names.slice(-3), ['tEXt', 'tEXt', 'IEND']);
    assert.deepEqual(readPngText(withText), { prompt: '{"a":1}', workflow: '{}' });
    assert.equal((await sharp(withText).metadata()).width, 2);
    assert.throws(() => addPngText(png, { '': 'x' }), /keyword/);
    assert.throws(() => addPngText(png, { k: 'snow ☃' }), /Latin-1/);
    assert.throws(() => readPngChunks(Buffer.from('not a png at all')), /signature/);
  });
});
