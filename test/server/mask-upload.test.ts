// POST /upload/mask against a real server with real multipart requests: the uploaded alpha replaces the original's,
// RGB and embedded text chunks survive, names follow /upload/image's rules, and every bad request is a JSON 4xx
// that names the problem (path escapes in original_ref included) while the server keeps answering.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readPngText } from '../../server/engine/workflow/png-text.js';
import { addPngText } from '../../server/media/png-text.js';
import { request, startServer, upload, type JsonResponse, type TestServer } from './helpers.js';

const WIDTH = 12;
const HEIGHT = 8;
const TOKEN = 'mask-token-0123456789';

let t: TestServer;
let guarded: TestServer;

before(async () => {
  t = await startServer({ limits: { uploadBytes: 64 * 1024, maxSide: 1000 } });
  guarded = await startServer({ token: TOKEN });
});
after(async () => {
  await t.close();
  await guarded.close();
});

/** A raw RGBA raster whose pixel (x, y) is `pixel(x, y)`. */
function raster(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return data;
}

function png(data: Buffer, width: number, height: number, channels: 3 | 4 = 4): Promise<Buffer> {
  const input = channels === 4 ? data : Buffer.from(data.filter((_, i) => i % 4 !== 3));
  return sharp(input, { raw: { width, height, channels } }).png().toBuffer();
}

/** An opaque gradient, so every pixel's RGB is distinct enough to catch a shift. */
const originalPixels = raster(WIDTH, HEIGHT, (x, y) => [x * 20, y * 30, 255 - x * 10, 255]);
/** The mask's alpha: 0 (painted) on the left third, 255 on the right third, a partial value between. */
const maskAlpha = (x: number): number => (x < 4 ? 0 : x < 8 ? 128 : 255);
const maskPixels = raster(WIDTH, HEIGHT, (x) => [0, 0, 0, maskAlpha(x)]);

async function uploadMask(server: TestServer, fields: Record<string, string>, image?: { bytes: Uint8Array; name: string }, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const form = new FormData();
  if (image) form.append('image', new Blob([new Uint8Array(image.bytes)], { type: 'image/png' }), image.name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return request(`${server.url}/upload/mask`, { method: 'POST', body: form, headers });
}

async function rawOf(file: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function assertRefused(res: JsonResponse, status: number, message: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(typeof res.body?.error?.message, 'string', 'a JSON error body');
  assert.match(res.body.error.message, message);
}

const ref = (filename: string, extra: Record<string, unknown> = { type: 'input' }) => JSON.stringify({ filename, subfolder: '', ...extra });

describe('POST /upload/mask', () => {
  let maskBytes: Buffer;

  before(async () => {
    const workflow = JSON.stringify({ nodes: [{ id: 1, type: 'LoadImage' }], links: [] });
    const originalPng = addPngText(await png(originalPixels, WIDTH, HEIGHT, 3), { workflow, prompt: '{"1":{}}' });
    assert.equal((await upload(t.url, originalPng, 'photo.png')).status, 200);
    maskBytes = await png(maskPixels, WIDTH, HEIGHT);
  });

  it('puts the uploaded alpha on the original and keeps its RGB and text chunks', async () => {
    const res = await uploadMask(t, { original_ref: ref('photo.png'), type: 'input', subfolder: 'clipspace' }, { bytes: maskBytes, name: 'clipspace-mask-1.png' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { name: 'clipspace-mask-1.png', subfolder: 'clipspace', type: 'input' });
    const file = path.join(t.dataDir, 'input', 'clipspace', 'clipspace-mask-1.png');
    const saved = await rawOf(file);
    assert.deepEqual([saved.width, saved.height, saved.channels], [WIDTH, HEIGHT, 4]);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const i = (y * WIDTH + x) * 4;
        assert.deepEqual([...saved.data.subarray(i, i + 3)], [...originalPixels.subarray(i, i + 3)], `RGB at ${x},${y}`);
        assert.equal(saved.data[i + 3], maskAlpha(x), `alpha at ${x},${y}`);
      }
    }
    const text = readPngText(fs.readFileSync(file));
    assert.deepEqual(JSON.parse(text.workflow!), { nodes: [{ id: 1, type: 'LoadImage' }], links: [] });
    assert.equal(text.prompt, '{"1":{}}');
    // Load Image offers the new file, spelled as its other subfolder choices are.
    const info = await request(`${t.url}/object_info/LoadImage`);
    assert.ok(info.body.LoadImage.input.required.image[0].includes('clipspace/clipspace-mask-1.png'));
  });

  it('answers at /api too, names files as /upload/image does, and honours overwrite', async () => {
    const other = await png(raster(WIDTH, HEIGHT, () => [0, 0, 0, 0]), WIDTH, HEIGHT);
    const form = (bytes: Buffer, fields: Record<string, string> = {}) => {
      const f = new FormData();
      f.append('image', new Blob([new Uint8Array(bytes)]), 'again.png');
      for (const [k, v] of Object.entries({ original_ref: ref('photo.png'), ...fields })) f.append(k, v);
      return f;
    };
    const first = await request(`${t.url}/api/upload/mask`, { method: 'POST', body: form(maskBytes) });
    assert.deepEqual(first.body, { name: 'again.png', subfolder: '', type: 'input' }, 'type defaults to input, subfolder to none');
    const same = await request(`${t.url}/api/upload/mask`, { method: 'POST', body: form(maskBytes) });
    assert.equal(same.body.name, 'again.png', 'the same result reuses the name');
    const different = await request(`${t.url}/api/upload/mask`, { method: 'POST', body: form(other) });
    assert.equal(different.body.name, 'again (1).png', 'a different result gets a new name');
    const overwritten = await request(`${t.url}/api/upload/mask`, { method: 'POST', body: form(other, { overwrite: 'true' }) });
    assert.equal(overwritten.body.name, 'again.png');
    const alpha = (await rawOf(path.join(t.dataDir, 'input', 'again.png'))).data.filter((_, i) => i % 4 === 3);
    assert.ok(alpha.every((a) => a === 0), 'the overwritten file carries the second mask');
  });

  it('reads the original from output/ when original_ref has no type, as ComfyUI does', async () => {
    fs.writeFileSync(path.join(t.dataDir, 'output', 'render.png'), await png(originalPixels, WIDTH, HEIGHT, 3));
    const res = await uploadMask(t, { original_ref: JSON.stringify({ filename: 'render.png' }) }, { bytes: maskBytes, name: 'from-output.png' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { name: 'from-output.png', subfolder: '', type: 'input' });
  });

  it('stores a PNG named .png whatever the mask was sent as, and aligns with an EXIF-rotated original', async () => {
    // A 12x8 JPEG stored sideways with orientation 6: Load Image and /view previews see it as 8x12.
    const sideways = await sharp(originalPixels, { raw: { width: WIDTH, height: HEIGHT, channels: 4 } }).removeAlpha().jpeg().withMetadata({ orientation: 6 }).toBuffer();
    assert.equal((await upload(t.url, sideways, 'phone.jpg')).status, 200);
    const preview = await sharp(Buffer.from(await (await fetch(`${t.url}/view?filename=phone.jpg&type=input&channel=rgb`)).arrayBuffer())).metadata();
    assert.deepEqual([preview.width, preview.height], [HEIGHT, WIDTH], 'the preview the editor paints over is upright');
    const uprightMask = await sharp(maskBytes).rotate(90).webp({ lossless: true }).toBuffer();
    const res = await uploadMask(t, { original_ref: ref('phone.jpg') }, { bytes: uprightMask, name: 'phone-mask.webp' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.name, 'phone-mask.webp.png');
    const saved = await sharp(path.join(t.dataDir, 'input', 'phone-mask.webp.png')).metadata();
    assert.deepEqual([saved.format, saved.width, saved.height, saved.hasAlpha], ['png', HEIGHT, WIDTH, true]);
  });

  it('refuses a missing or malformed original_ref', async () => {
    const image = { bytes: maskBytes, name: 'm.png' };
    assertRefused(await uploadMask(t, {}, image), 400, /original_ref.*required/);
    assertRefused(await uploadMask(t, { original_ref: '{"filename": ' }, image), 400, /original_ref is not valid JSON/);
    assertRefused(await uploadMask(t, { original_ref: '["photo.png"]' }, image), 400, /original_ref must be a JSON object/);
    assertRefused(await uploadMask(t, { original_ref: '{"subfolder": ""}' }, image), 400, /original_ref\.filename/);
    assertRefused(await uploadMask(t, { original_ref: '{"filename": "photo.png", "subfolder": 3}' }, image), 400, /original_ref\.subfolder/);
    assertRefused(await uploadMask(t, { original_ref: ref('photo.png', { type: 'models' }) }, image), 400, /original_ref\.type "models"/);
  });

  it('refuses path escapes in original_ref and a missing original', async () => {
    const image = { bytes: maskBytes, name: 'm.png' };
    fs.writeFileSync(path.join(t.dataDir, 'secret.png'), await png(originalPixels, WIDTH, HEIGHT, 3));
    fs.symlinkSync(path.join(t.dataDir, 'secret.png'), path.join(t.dataDir, 'input', 'link.png'));
    assertRefused(await uploadMask(t, { original_ref: ref('../secret.png') }, image), 400, /original_ref: filename must not contain "\.\."/);
    assertRefused(await uploadMask(t, { original_ref: ref('secret.png', { type: 'input', subfolder: '..' }) }, image), 400, /original_ref: subfolder/);
    assertRefused(await uploadMask(t, { original_ref: ref('%2e%2e/secret.png') }, image), 400, /original_ref/);
    assertRefused(await uploadMask(t, { original_ref: ref(path.join(t.dataDir, 'secret.png')) }, image), 400, /original_ref: filename must be relative/);
    assertRefused(await uploadMask(t, { original_ref: ref('link.png') }, image), 403, /original_ref: the path leaves its file area/);
    assertRefused(await uploadMask(t, { original_ref: ref('nowhere.png') }, image), 404, /original_ref: no file "nowhere\.png" in input/);
    assert.ok(!fs.existsSync(path.join(t.dataDir, 'input', 'm.png')), 'nothing was stored');
  });

  it('refuses a mask of another size, naming both sizes', async () => {
    const small = await png(raster(6, 4, () => [0, 0, 0, 0]), 6, 4);
    assertRefused(await uploadMask(t, { original_ref: ref('photo.png') }, { bytes: small, name: 'm.png' }), 400, /the mask is 6x4 but the original image is 12x8/);
  });

  it('refuses non-images, oversized uploads and bad targets', async () => {
    const good = { original_ref: ref('photo.png') };
    assertRefused(await uploadMask(t, good, { bytes: Buffer.from('not an image at all, just text'), name: 'm.png' }), 400, /not a png, jpeg, webp, gif image/);
    assertRefused(await uploadMask(t, good, { bytes: Buffer.alloc(0), name: 'm.png' }), 400, /empty/);
    assertRefused(await uploadMask(t, good), 400, /no file in field "image"/);
    assertRefused(await uploadMask(t, good, { bytes: Buffer.alloc(70 * 1024, 1), name: 'm.png' }), 413, /larger than the limit/);
    const wide = await sharp({ create: { width: 1200, height: 2, channels: 4, background: '#000' } }).png().toBuffer();
    assertRefused(await uploadMask(t, good, { bytes: wide, name: 'm.png' }), 400, /1200x2; the largest side/);
    fs.writeFileSync(path.join(t.dataDir, 'input', 'notes.png'), 'plain text pretending to be a PNG file');
    assertRefused(await uploadMask(t, { original_ref: ref('notes.png') }, { bytes: maskBytes, name: 'm.png' }), 400, /the original "notes\.png" in input cannot be used/);
    assertRefused(await uploadMask(t, { ...good, type: 'models' }, { bytes: maskBytes, name: 'm.png' }), 400, /unknown file area type/);
    assertRefused(await uploadMask(t, { ...good, subfolder: '../..' }, { bytes: maskBytes, name: 'm.png' }), 400, /subfolder must not contain/);
    const json = await request(`${t.url}/upload/mask`, { method: 'POST', json: { image: 'x', original_ref: ref('photo.png') } });
    assertRefused(json, 400, /multipart\/form-data/);
    assert.equal((await request(`${t.url}/system_stats`)).status, 200, 'the server still answers');
  });

  it('is guarded like /upload/image: token, cross-origin and cross-site requests are refused', async () => {
    const original = await png(originalPixels, WIDTH, HEIGHT, 3);
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(original)]), 'guarded.png');
    assert.equal((await request(`${guarded.url}/upload/image`, { method: 'POST', body: form, headers: auth })).status, 200);
    const image = { bytes: maskBytes, name: 'guarded-mask.png' };
    const fields = { original_ref: ref('guarded.png') };
    assertRefused(await uploadMask(guarded, fields, image), 401, /token/);
    assertRefused(await uploadMask(guarded, fields, image, { ...auth, Origin: 'http://evil.example' }), 403, /cross-origin/);
    assertRefused(await uploadMask(guarded, fields, image, { ...auth, 'Sec-Fetch-Site': 'cross-site' }), 403, /cross-site/);
    assert.ok(!fs.existsSync(path.join(guarded.dataDir, 'input', 'guarded-mask.png')), 'refused requests store nothing');
    const ok = await uploadMask(guarded, fields, image, auth);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});
