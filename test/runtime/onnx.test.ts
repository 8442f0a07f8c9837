// The onnxruntime-node adapter on real sessions: tiny models from test/runtime/fixtures (make_models.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OnnxRuntime, estimateModelBytes } from '../../server/runtime/onnx.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const doubleModel = path.join(fixtures, 'double.onnx');
const externalModel = path.join(fixtures, 'external.onnx');
const quiet = { log: () => {} };

test('a cpu session reports its inputs and outputs and runs float32 and int64 tensors', async () => {
  const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, ...quiet });
  const session = await runtime.load(doubleModel);
  assert.equal(session.provider, 'cpu');
  assert.deepEqual(session.inputs, [
    { name: 'x', type: 'float32', shape: ['batch', 4] },
    { name: 'ids', type: 'int64', shape: ['batch', 3] },
  ]);
  assert.deepEqual(session.outputs.map((o) => o.name), ['doubled', 'ids_out']);
  const out = await session.run({
    x: { data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), dims: [2, 4] },
    ids: { data: new BigInt64Array([49406n, 1n, 0n, 2n, 3n, 4n]), dims: [2, 3] },
  });
  assert.deepEqual(Array.from(out.doubled!.data as Float32Array), [2, 4, 6, 8, 10, 12, 14, 16]);
  assert.deepEqual(out.doubled!.dims, [2, 4]);
  assert.deepEqual(Array.from(out.ids_out!.data as BigInt64Array), [49406n, 1n, 0n, 2n, 3n, 4n]);
  const timings = runtime.runTimings();
  assert.equal(timings.runs, 1);
  assert.ok(timings.onnxMs > 0);
  await runtime.release();
});

test('wrong, missing and malformed inputs are named in the error', async () => {
  const runtime = new OnnxRuntime({ device: 'cpu', ...quiet });
  const session = await runtime.load(doubleModel);
  const x = { data: new Float32Array(4), dims: [1, 4] };
  const ids = { data: new BigInt64Array(3), dims: [1, 3] };
  await assert.rejects(session.run({ x, ids, extra: x }), /double\.onnx has no input named 'extra' \(it has: x, ids\)/);
  await assert.rejects(session.run({ x }), /double\.onnx needs input 'ids' \[batch,3\], which was not given/);
  await assert.rejects(session.run({ x: { data: new Float32Array(3), dims: [1, 4] }, ids }), /input 'x' has 3 values but dims \[1,4\]/);
  await assert.rejects(session.run({ x: { data: new Float32Array(8), dims: [1, 8] }, ids }), /onnxruntime failed running double\.onnx on cpu/);
  await runtime.release();
});

test('a model with external data loads by path, and fails clearly without its data file', async () => {
  const runtime = new OnnxRuntime({ device: 'cpu', ...quiet });
  const session = await runtime.load(externalModel);
  const x = new Float32Array(8).fill(0);
  x[1] = 1; // picks row 1 of W = 8..15
  const out = await session.run({ x: { data: x, dims: [1, 8] } });
  assert.deepEqual(Array.from(out.y!.data as Float32Array), [8, 9, 10, 11, 12, 13, 14, 15]);
  assert.equal(estimateModelBytes(externalModel), fs.statSync(externalModel).size + fs.statSync(`${externalModel}.data`).size);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ext-'));
  try {
    fs.copyFileSync(externalModel, path.join(dir, 'external.onnx'));
    await assert.rejects(runtime.load(path.join(dir, 'external.onnx')), (error: Error) => {
      assert.match(error.message, /onnxruntime could not load .*external\.onnx on cpu/);
      return true;
    });
    await assert.rejects(runtime.load(path.join(dir, 'absent.onnx')), /model file not found: .*absent\.onnx/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await runtime.release();
});

test('sessions are cached, evicted least-recently-used under the budget, and released', async () => {
  const evictions: string[] = [];
  const doubleBytes = estimateModelBytes(doubleModel);
  const externalBytes = estimateModelBytes(externalModel);
  const runtime = new OnnxRuntime({ device: 'cpu', memoryBudgetBytes: Math.max(doubleBytes, externalBytes) + 10, log: (m) => evictions.push(m) });
  const a = await runtime.load(doubleModel);
  assert.equal(await runtime.load(doubleModel), a, 'the second load is the cached session');
  await runtime.load(externalModel);
  assert.deepEqual(runtime.loadedModels(), [path.resolve(externalModel)]);
  assert.equal(runtime.cacheStats().evictions, 1);
  assert.match(evictions.join('\n'), /released double\.onnx .* to stay within the model memory budget/);
  const again = await runtime.load(doubleModel);
  assert.notEqual(again, a, 'an evicted model is loaded afresh');
  await runtime.release(doubleModel);
  assert.deepEqual(runtime.loadedModels(), []);
  await runtime.release();
});

test('explicit providers either run or fail naming the provider and the reason', async () => {
  for (const device of ['webgpu', 'cuda'] as const) {
    const runtime = new OnnxRuntime({ device, ...quiet });
    try {
      const session = await runtime.load(doubleModel);
      assert.equal(session.provider, device);
    } catch (error) {
      const message = (error as Error).message;
      assert.match(message, new RegExp(`device '${device}' is not available: `));
      if (device === 'webgpu') assert.match(message, /WebGPU/);
      if (device === 'cuda') assert.match(message, /CUDA/);
    }
    await runtime.release();
  }
  assert.throws(() => new OnnxRuntime({ device: 'tpu' as never }), /unknown device 'tpu': use one of auto, cpu, cuda, webgpu/);
});

test('auto picks the first provider that works and logs why it fell back', async () => {
  const log: string[] = [];
  const runtime = new OnnxRuntime({ device: 'auto', log: (m) => log.push(m) });
  const provider = await runtime.resolveProvider();
  const attempts = runtime.providerAttempts();
  assert.equal(attempts.at(-1)!.provider, provider);
  assert.ok(attempts.at(-1)!.ok);
  assert.deepEqual(attempts.map((a) => a.provider), ['cuda', 'webgpu', 'cpu'].slice(0, attempts.length));
  if (provider !== 'cuda') {
    assert.ok(attempts.slice(0, -1).every((a) => !a.ok && a.reason && a.reason.length > 10));
    assert.match(log.join('\n'), new RegExp(`device auto: using ${provider} \\(cuda: `));
  }
  const session = await runtime.load(doubleModel);
  assert.equal(session.provider, provider);
  await runtime.release();
});

test('inference runs off the main thread: the event loop keeps turning during a long run, and inputs stay usable', async () => {
  const runtime = new OnnxRuntime({ device: 'cpu', ...quiet });
  const decoder = await runtime.load(path.join(import.meta.dirname, '..', '..', 'models', 'kontext-tiny', 'vae_decoder.onnx'));
  const latent = new Float32Array(16 * 16 * 16 * 16).fill(0.1);
  await decoder.run({ latent: { data: latent, dims: [16, 16, 16, 16] } }); // warm-up
  let turns = 0;
  const timer = setInterval(() => turns++, 5);
  const started = performance.now();
  const out = await decoder.run({ latent: { data: latent, dims: [16, 16, 16, 16] } });
  const ms = performance.now() - started;
  clearInterval(timer);
  assert.deepEqual(out.image!.dims, [16, 3, 128, 128]);
  // On the main thread a run is one uninterrupted block: the timer could fire at most once. Off it, it keeps firing.
  assert.ok(turns >= 5, `the event loop turned ${turns} times during a ${ms.toFixed(0)} ms decode of 16 images`);
  assert.equal(latent.length, 16 * 16 * 16 * 16, 'the caller keeps its input (it is copied to the worker, not moved)');
  assert.equal(latent[0], Math.fround(0.1));
  // A view into a larger buffer sends only its own values.
  const big = new Float32Array(2 * 4 * 16 * 16 * 16).fill(0.1);
  const view = big.subarray(4 * 16 * 16 * 16);
  const half = await decoder.run({ latent: { data: view, dims: [4, 16, 16, 16] } });
  assert.deepEqual(half.image!.dims, [4, 3, 128, 128]);
  assert.equal(big.length, 2 * 4 * 16 * 16 * 16);
  await runtime.release();
});
