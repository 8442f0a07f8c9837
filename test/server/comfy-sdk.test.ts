// An existing ComfyUI client library from npm (@saintno/comfyui-sdk), unmodified, drives the server: upload,
// submit through its PromptBuilder/CallWrapper, wait on its websocket, read history, download through /view.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { CallWrapper, ComfyApi, PromptBuilder } from '@saintno/comfyui-sdk';
import { pngBytes, startServer, type TestServer } from './helpers.js';

let t: TestServer;
let api: ComfyApi;
before(async () => {
  t = await startServer();
});
after(async () => {
  api?.destroy();
  await t.close();
});

it('runs an upload -> LoadImage -> invert -> SaveImage prompt through the ComfyUI SDK', async () => {
  // Node 20 has no global WebSocket; the SDK accepts an implementation, and `ws` is the usual one.
  api = new ComfyApi(t.url, 'sdk-client', { customWebSocketImpl: WebSocket as never, forceWs: true });
  await api.init(5, 200).waitForReady();

  const stats = await api.getSystemStats();
  assert.match(String(stats.system.python_version), /^node /);

  const uploaded = await api.uploadImage(new Uint8Array(await pngBytes(5, 3)), 'sdk-input.png');
  assert.ok(uploaded, 'upload failed');
  assert.equal(uploaded.info.filename, 'sdk-input.png');

  const prompt = {
    '1': { class_type: 'LoadImage', inputs: { image: 'placeholder.png' }, _meta: { title: 'Load Image' } },
    '2': { class_type: 'TestInvert', inputs: { images: ['1', 0] }, _meta: { title: 'Invert' } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'sdk' }, _meta: { title: 'Save Image' } },
  };
  const workflow = new PromptBuilder(prompt, ['image', 'prefix'], ['images'])
    .setInputNode('image', '1.inputs.image')
    .setInputNode('prefix', '3.inputs.filename_prefix')
    .setOutputNode('images', '3')
    .input('image', uploaded.info.filename)
    .input('prefix', 'sdk-out');

  const progressNodes: string[] = [];
  const result = await new Promise<{ images?: { images: Array<{ filename: string; subfolder: string; type: string }> }; _promptId?: string }>((resolve, reject) => {
    new CallWrapper(api, workflow)
      .onProgress((info) => progressNodes.push(String(info.node)))
      .onFinished((data) => resolve(data as never))
      .onFailed((error) => reject(error))
      .run()
      .catch(reject);
  });
  const image = result.images!.images[0]!;
  assert.match(image.filename, /^sdk-out_\d{5}_\.png$/);

  // Download through /view with the SDK, and check the pixels really are the inverted upload.
  const blob = await api.getImage(image as never);
  const { data, info } = await sharp(Buffer.from(await blob.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 5);
  assert.equal(info.height, 3);
  assert.deepEqual([...data.subarray(0, 3)], [255 - 200, 255 - 100, 255 - 50]);

  const histories = await api.getHistories(10);
  const entries = Object.values(histories) as Array<{ status: { status_str: string }; outputs: Record<string, unknown> }>;
  assert.ok(entries.some((e) => e.status.status_str === 'success' && e.outputs['3']));
  const queue = await api.getQueue();
  assert.deepEqual(queue.queue_running, []);
});
