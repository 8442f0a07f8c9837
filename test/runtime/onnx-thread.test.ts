// The worker thread that owns the onnxruntime sessions: requests answered by id, failures named, closing without
// cutting into a run, and a worker that goes away failing its requests plainly instead of leaving them hanging;
// the next request starts a fresh one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { OnnxThread } from '../../server/runtime/onnx-thread.js';

const decoder = path.join(import.meta.dirname, '..', '..', 'models', 'kontext-tiny', 'vae_decoder.onnx');

test('close lets the run in flight finish; a worker that stops fails what it had not answered; a later request starts a fresh worker', async () => {
  const thread = new OnnxThread();
  await assert.rejects(thread.request('frobnicate', {}), /unknown request 'frobnicate'/);
  const created = await thread.request('create', { model: decoder, options: { executionProviders: ['cpu'] } });
  assert.deepEqual((created.inputs as Array<{ name: string }>).map((i) => i.name), ['latent']);
  // Closing mid-run must not cut into onnxruntime (that aborts the process): the run is answered, then the thread stops.
  const running = thread.request('run', { sessionId: created.sessionId, feeds: { latent: { data: new Float32Array(32 * 16 * 16 * 16), dims: [32, 16, 16, 16] } } });
  await thread.close();
  assert.deepEqual(((await running).outputs as Record<string, { dims: number[] }>).image!.dims, [32, 3, 128, 128]);
  await assert.rejects(thread.request('run', { sessionId: created.sessionId, feeds: {} }), /session \d+ was released/, 'sessions died with their worker');

  // A thread that stops with requests still queued fails them plainly instead of leaving them hanging.
  const second = await thread.request('create', { model: decoder, options: { executionProviders: ['cpu'] } });
  const stopping = thread.request('exit', {});
  const queued = thread.request('run', { sessionId: second.sessionId, feeds: { latent: { data: new Float32Array(16 * 16 * 16), dims: [1, 16, 16, 16] } } });
  await assert.rejects(stopping, /onnxruntime thread stopped \(exit code 0\)/);
  await assert.rejects(queued, /onnxruntime thread stopped/);

  const again = await thread.request('create', { model: decoder, options: { executionProviders: ['cpu'] } });
  const out = await thread.request('run', { sessionId: again.sessionId, feeds: { latent: { data: new Float32Array(16 * 16 * 16), dims: [1, 16, 16, 16] } } });
  assert.deepEqual((out.outputs as Record<string, { dims: number[] }>).image!.dims, [1, 3, 128, 128]);
  assert.ok((out.ms as number) > 0);
  await thread.close();
});
