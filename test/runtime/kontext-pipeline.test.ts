// The Kontext pipeline end to end on the fixture bundle (random weights: the numbers are noise, the behaviour
// is not): shapes, a batched sweep equal to single runs, determinism per seed, aborts within one step, timings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BundleRegistry } from '../../server/runtime/bundles.js';
import { KontextPipeline, type KontextHandle, type TextEncoding } from '../../server/runtime/kontext-pipeline.js';
import { OnnxRuntime } from '../../server/runtime/onnx.js';
import { createModelService } from '../../server/runtime/model-service.js';
import type { FloatTensor } from '../../nodes/kontext/math/tensor.js';
import { FIXTURE_DIR, FIXTURE_NAME } from './fixture-bundle.js';

const pipeline = new KontextPipeline(new BundleRegistry([FIXTURE_DIR]), new OnnxRuntime({ device: 'cpu', log: () => {} }));
let handle: KontextHandle;
let text: TextEncoding;
let reference: FloatTensor;
const W = 48;
const H = 32;

function image(width: number, height: number): FloatTensor {
  return { data: Float32Array.from({ length: 3 * width * height }, (_, i) => Math.sin(i * 0.37) * 0.8), dims: [1, 3, height, width] };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function request(modulation: FloatTensor | null, strengths: number[], seed = 7) {
  return { text, refLatent: reference, modulation, strengths, seed, steps: 3, guidance: 2.5, width: W, height: H };
}

test('load, encode text and image: shapes follow the manifest', async () => {
  handle = await pipeline.loadBundle(FIXTURE_NAME);
  assert.equal(await pipeline.load(FIXTURE_NAME), handle, 'a loaded bundle is reused');
  assert.ok(pipeline.hasStrengthControl(handle));
  assert.equal(pipeline.latentChannels(handle), 16);
  assert.equal(pipeline.downscale(handle), 8);
  assert.deepEqual(pipeline.defaults(handle), handle.manifest.defaults);
  assert.deepEqual(pipeline.resolutions(handle), handle.manifest.resolutions.preferred);
  text = await pipeline.encodeText(handle, 'Make the sky red');
  const d = handle.manifest.dims;
  assert.deepEqual(text.pooled.dims, [1, d.pooled_dim]);
  assert.deepEqual(text.embeds.dims, [1, d.t5_seq_len, d.joint_dim]);
  assert.equal(text.text, 'Make the sky red');
  const other = await pipeline.encodeText(handle, 'add snow to the background');
  assert.ok(maxDiff(text.pooled.data, other.pooled.data) > 0, 'different instructions encode differently');
  reference = await pipeline.encodeImage(handle, image(W, H));
  assert.deepEqual(reference.dims, [1, 16, H / 8, W / 8]);
  await assert.rejects(pipeline.encodeImage(handle, image(40, 32)), /image 40x32 cannot be encoded by 'kontext-fixture': both sides must be multiples of 16/);
});

test('a batched sweep equals the same strengths run one at a time with the same seed', async () => {
  const strengths = [0, 0.5, 1];
  const modulation = await pipeline.project(handle, strengths, text.pooled);
  assert.deepEqual(modulation.dims, [3, handle.manifest.dims.modulation_dim]);
  const swept = await pipeline.denoise(handle, request(modulation, strengths));
  assert.deepEqual(swept.dims, [3, 16, H / 8, W / 8]);
  const item = swept.data.length / 3;
  // Random fixture weights make strength matter only a little, so batching must be far more exact than that.
  const strengthEffect = maxDiff(swept.data.subarray(0, item), swept.data.subarray(2 * item));
  assert.ok(strengthEffect > 1e-5, `strength changes the result (by ${strengthEffect})`);
  for (let k = 0; k < 3; k++) {
    const single = await pipeline.denoise(handle, request(await pipeline.project(handle, [strengths[k]!], text.pooled), [strengths[k]!]));
    const diff = maxDiff(single.data, swept.data.subarray(k * item, (k + 1) * item));
    assert.ok(diff <= 1e-6 && diff < strengthEffect / 10, `strength ${strengths[k]}: batched vs single differ by ${diff}`);
  }
});

test('a batch over the transformer token budget runs in several calls with the same result and one progress count', async () => {
  const tokens = 2 * (H / 8 / 2) * (W / 8 / 2) + text.embeds.dims[1]!;
  const small = new KontextPipeline(new BundleRegistry([FIXTURE_DIR]), pipeline.runtime, { transformerTokensPerCall: 2 * tokens + 1 });
  const smallHandle = await small.load(FIXTURE_NAME);
  assert.equal(small.itemsPerDenoiseCall(smallHandle, request(null, [])), 2);
  assert.equal(pipeline.itemsPerDenoiseCall(handle, request(null, [])), Math.floor(16384 / tokens), 'the default budget');
  const strengths = [0, 0.25, 0.5, 0.75, 1];
  const modulation = await pipeline.project(handle, strengths, text.pooled);
  const whole = await pipeline.denoise(handle, request(modulation, strengths));
  const seen: Array<[number, number, number]> = [];
  const split = await small.denoise(smallHandle, request(modulation, strengths), { onStep: (i, n, x0) => void seen.push([i, n, x0!.dims[0]!]) });
  assert.deepEqual(split.dims, whole.dims);
  assert.ok(maxDiff(split.data, whole.data) <= 1e-6, `split and whole differ by ${maxDiff(split.data, whole.data)}`);
  // Three calls (2 + 2 + 1 items) of 3 steps, counted as one run of 9 steps.
  assert.deepEqual(seen, [[1, 9, 2], [2, 9, 2], [3, 9, 2], [4, 9, 2], [5, 9, 2], [6, 9, 2], [7, 9, 1], [8, 9, 1], [9, 9, 1]]);
  assert.equal(small.timings().lastDenoise?.batch, 5);
  assert.equal(small.timings().lastDenoise?.stepMs.length, 9);
});

test('the seed decides the noise: same seed same latent, another seed another latent', async () => {
  const modulation = await pipeline.project(handle, [0.5], text.pooled);
  const a = await pipeline.denoise(handle, request(modulation, [0.5], 11));
  const b = await pipeline.denoise(handle, request(modulation, [0.5], 11));
  const c = await pipeline.denoise(handle, request(modulation, [0.5], 12));
  assert.deepEqual(a.data, b.data);
  assert.ok(maxDiff(a.data, c.data) > 1e-3);
});

test('progress and x0 previews come every step; decode and preview give images in [-1,1] space', async () => {
  const modulation = await pipeline.project(handle, [0.25, 0.75], text.pooled);
  const seen: Array<[number, number, readonly number[]]> = [];
  const latent = await pipeline.denoise(handle, request(modulation, [0.25, 0.75]), { onStep: (i, n, x0) => void seen.push([i, n, x0!.dims]) });
  assert.deepEqual(seen, [[1, 3, [2, 16, 4, 6]], [2, 3, [2, 16, 4, 6]], [3, 3, [2, 16, 4, 6]]]);
  const decoded = await pipeline.decode(handle, latent);
  assert.deepEqual(decoded.dims, [2, 3, H, W]);
  assert.ok(decoded.data.every(Number.isFinite));
  const preview = await pipeline.previewDecode(handle, latent);
  assert.equal(pipeline.hasPreviewDecoder(handle), false);
  assert.deepEqual(preview.data, decoded.data, 'without a preview decoder the preview is the full decode');
  await assert.rejects(pipeline.decode(handle, { data: new Float32Array(8 * 4 * 6), dims: [1, 8, 4, 6] }), /Decode needs a latent \[B,16,h,w\] from 'kontext-fixture', got \[1,8,4,6\]/);
});

test('with previewEveryMs, x0 comes at the first step and then at most once per interval; progress every step', async () => {
  const modulation = await pipeline.project(handle, [0.5], text.pooled);
  const steps = 40;
  const paced: Array<[number, number | null]> = [];
  const latent = await pipeline.denoise(handle, { ...request(modulation, [0.5]), steps }, {
    onStep: (i, _n, x0) => void paced.push([i, x0 ? performance.now() : null]),
    previewEveryMs: 1e6,
  });
  assert.deepEqual(paced.map(([i]) => i), Array.from({ length: steps }, (_, i) => i + 1));
  assert.deepEqual(paced.filter(([, at]) => at !== null).map(([i]) => i), [1], 'an interval longer than the run: only the first step');
  const every: number[] = [];
  await pipeline.denoise(handle, { ...request(modulation, [0.5]), steps: 5 }, { onStep: (i, _n, x0) => void (x0 && every.push(i)), previewEveryMs: 0 });
  assert.deepEqual(every, [1, 2, 3, 4, 5], 'interval 0: every step');
  const plain = await pipeline.denoise(handle, { ...request(modulation, [0.5]), steps });
  assert.deepEqual(latent.data, plain.data, 'previews do not change the result');
});

test('an interrupt stops the denoise early; no progress is reported after it', async () => {
  const modulation = await pipeline.project(handle, [1], text.pooled);
  const controller = new AbortController();
  const runsBefore = pipeline.runtime.runTimings().runs;
  const steps: number[] = [];
  // The loop runs on the onnxruntime thread, at most two steps ahead of the progress this thread has taken, so
  // an interrupt after step 2 stops it by step 4 however fast its steps are (the fixture's take microseconds).
  await assert.rejects(
    pipeline.denoise(handle, { ...request(modulation, [1]), steps: 2000 }, {
      signal: controller.signal,
      onStep: (i) => {
        steps.push(i);
        if (i === 2) controller.abort(new Error('Interrupted'));
      },
    }),
    /Interrupted/,
  );
  assert.deepEqual(steps, [1, 2]);
  const runs = pipeline.runtime.runTimings().runs - runsBefore;
  assert.ok(runs >= 2 && runs <= 4, `the transformer ran ${runs} of 2000 steps after an interrupt at step 2`);
});

test('a failing progress callback fails the denoise with its error and stops the loop', async () => {
  const modulation = await pipeline.project(handle, [1], text.pooled);
  const runsBefore = pipeline.runtime.runTimings().runs;
  await assert.rejects(
    pipeline.denoise(handle, { ...request(modulation, [1]), steps: 2000 }, {
      onStep: (i) => {
        if (i === 3) throw new Error('the preview sink broke');
      },
    }),
    /the preview sink broke/,
  );
  const runs = pipeline.runtime.runTimings().runs - runsBefore;
  assert.ok(runs >= 3 && runs <= 5, `the transformer ran ${runs} of 2000 steps after the callback failed at step 3`);
});

test('bad requests are refused with what to change', async () => {
  const modulation = await pipeline.project(handle, [0.5, 1], text.pooled);
  await assert.rejects(pipeline.denoise(handle, { ...request(modulation, [0.5, 1]), width: 40 }), /target size 40x32 must be a multiple of 16/);
  await assert.rejects(pipeline.denoise(handle, request(modulation, [0.5])), /1 strengths but the modulation has 2 rows/);
  await assert.rejects(pipeline.denoise(handle, { ...request(modulation, [0.5, 1]), steps: 0 }), /steps must be a positive integer/);
  await assert.rejects(pipeline.project(handle, [], text.pooled), /at least one strength/);
  await assert.rejects(pipeline.project(handle, [Number.NaN], text.pooled), /strength NaN is not a number/);
});

test("a bundle's strength curve maps the user's strength before the projector; 0 and 1 stay", async () => {
  const curved: KontextHandle = { ...handle, manifest: { ...handle.manifest, kontinuous: { ...handle.manifest.kontinuous, strength_curve: [[0, 0], [0.5, 0.8], [1, 1]] } } };
  const [mapped, direct, ends, plainEnds] = await Promise.all([
    pipeline.project(curved, [0.25, 0.75], text.pooled),
    pipeline.project(handle, [0.4, 0.9], text.pooled),
    pipeline.project(curved, [0, 1], text.pooled),
    pipeline.project(handle, [0, 1], text.pooled),
  ]);
  assert.deepEqual(mapped.data, direct.data);
  assert.deepEqual(ends.data, plainEnds.data);
  const unmapped = await pipeline.project(handle, [0.25, 0.75], text.pooled);
  assert.notDeepEqual(unmapped.data, mapped.data, 'the curve changed nothing');
});

test('timings separate time inside onnxruntime from the rest', async () => {
  pipeline.resetTimings();
  const modulation = await pipeline.project(handle, [0.5], text.pooled);
  await pipeline.denoise(handle, request(modulation, [0.5]));
  const t = pipeline.timings();
  const denoise = t.operations.denoise;
  assert.equal(denoise.calls, 1);
  assert.ok(denoise.onnxMs > 0 && denoise.onnxMs <= denoise.wallMs);
  assert.equal(t.lastDenoise!.stepMs.length, 3);
  assert.equal(t.lastDenoise!.batch, 1);
  assert.equal(t.lastDenoise!.tokens, (H / 16) * (W / 16));
  assert.equal(t.operations.project.calls, 1);
  assert.ok(t.onnxTotalMs >= denoise.onnxMs + t.operations.project.onnxMs - 1e-6);
});

test('preloadBundles loads installed bundles once, ahead of use, and names the ones it cannot find', async () => {
  const { preloadBundles } = await import('../../server/runtime/model-service.js');
  const fresh = new KontextPipeline(new BundleRegistry([FIXTURE_DIR]), pipeline.runtime);
  const info: string[] = [];
  const warn: string[] = [];
  await preloadBundles(fresh, [FIXTURE_NAME, 'flux-kontext'], { info: (m) => info.push(m), warn: (m) => warn.push(m) });
  assert.equal(info.length, 1);
  assert.match(info[0]!, new RegExp(`Model bundle '${FIXTURE_NAME}' loaded in \\d+ ms`));
  assert.deepEqual(warn, [`Preload: no model bundle 'flux-kontext' (installed: ${FIXTURE_NAME})`]);
  assert.equal(fresh.timings().operations.load.calls, 1);
  await fresh.load(FIXTURE_NAME);
  assert.equal(fresh.timings().operations.load.calls, 1, 'a prompt after the preload finds the bundle loaded');
});

test('the models service searches models/ and extra directories, and releases bundles', async () => {
  const service = createModelService({ repoDir: '/nonexistent-repo', extraModelDirs: [FIXTURE_DIR], device: 'cpu', log: () => {} });
  assert.deepEqual(service.bundleNames(), [FIXTURE_NAME]);
  const loaded = await service.loadBundle(FIXTURE_NAME);
  assert.ok(service.runtime.loadedModels().length >= 5, 'the check loaded every graph');
  await service.unload(loaded.name);
  assert.deepEqual(service.runtime.loadedModels(), []);
  assert.throws(() => createModelService({ repoDir: '.', device: 'gpu' }), /unknown device 'gpu'/);
  await pipeline.runtime.release();
});

test('a denoise on the onnxruntime thread names what is wrong with its feeds', async () => {
  const transformer = await pipeline.runtime.load(path.join(handle.dir, handle.manifest.files.transformer));
  const loop = { batch: 1, latentChannels: 16, latentHeight: H / 8, latentWidth: W / 8, reference, seed: 1, steps: 2, scheduler: handle.manifest.scheduler };
  const hidden = { data: new Float32Array(4), dims: [1, 1, 4] };
  await assert.rejects(transformer.denoise(loop, {}, 'nope'), /transformer\.onnx has no output named 'nope'/);
  await assert.rejects(transformer.denoise(loop, { hidden_states: hidden }, 'velocity'), /input 'hidden_states' is supplied by the denoise loop/);
  await assert.rejects(transformer.denoise(loop, {}, 'velocity'), /transformer\.onnx needs input 'encoder_hidden_states'/);
  const aborted = new AbortController();
  aborted.abort(new Error('stopped before it began'));
  await assert.rejects(transformer.denoise(loop, {}, 'velocity', { signal: aborted.signal }), /stopped before it began/);
});
