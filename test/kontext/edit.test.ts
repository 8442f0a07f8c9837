// The Kontext nodes end to end on the engine and the random-weight fixture bundle: the default workflow runs,
// a sweep equals single runs, a strength-only change re-runs exactly its dependants, interrupts stop within a
// step, chained edits work, grids and animations are real images, and mistakes give clear errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeImage } from '../../server/media/codec.js';
import { readAnimationInfo } from '../../server/media/animation.js';
import type { ImageBatch } from '../../nodes/sockets.js';
import { editHost, execute, shippedPrompt, type EditHost } from './edit-host.js';

let host: EditHost;
before(async () => {
  host = await editHost();
});
after(async () => {
  await host?.dispose();
});

function outputFile(result: { outputs: Record<string, { images?: Array<{ filename: string; subfolder: string; type: string }> }> }, node: string, index = 0): string {
  const image = result.outputs[node]?.images?.[index];
  assert.ok(image, `node ${node} listed output ${index}`);
  return host.files.resolve(image.type as 'output', image.subfolder, image.filename);
}

async function readImage(file: string): Promise<ImageBatch> {
  const { readFile } = await import('node:fs/promises');
  return (await decodeImage(await readFile(file))).image;
}

function maxDifference(a: ImageBatch, b: ImageBatch): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let max = 0;
  for (let i = 0; i < a.pixels.length; i++) max = Math.max(max, Math.abs(a.pixels[i]! - b.pixels[i]!));
  return max;
}

test('the default workflow runs: every node executes, progress each step, a preview per step, a PNG of the model size', async () => {
  const prompt = shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 4 });
  const result = await execute(host, prompt);
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  assert.deepEqual([...result.executed].sort(), ['1', '10', '11', '2', '3', '4', '5', '6', '7', '8', '9']);
  const progress = result.events.filter((e) => e.type === 'progress' && e.data.node === '8').map((e) => (e.type === 'progress' ? e.data.value : 0));
  assert.deepEqual(progress.slice(0, 4), [1, 2, 3, 4]);
  // Previews are made beside the loop, newest first: one per step when steps are slower than a preview, fewer when
  // the fixture's steps outrun them; never after the node finished.
  const previews = result.events.filter((e) => e.type === 'preview' && e.data.node_id === '8');
  assert.ok(previews.length >= 1 && previews.length <= 4, `${previews.length} previews`);
  const lastPreview = result.events.lastIndexOf(previews.at(-1)!);
  const nextNode = result.events.findIndex((e) => e.type === 'executing' && e.data.node === '9');
  assert.ok(lastPreview < nextNode, 'previews end before the next node starts');
  for (const p of previews) if (p.type === 'preview') assert.deepEqual([...p.data.image.data.subarray(0, 2)], [0xff, 0xd8], 'JPEG bytes');
  // chelsea.png is 451x300 (3:2): the fixture's nearest preferred size is 48x32.
  const saved = await readImage(outputFile(result, '10'));
  assert.deepEqual([saved.width, saved.height], [48, 32]);
});

test('a strength-only change re-runs exactly Strength, Projector, Denoise, Decode and the output', async () => {
  const first = shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 3, '6.value': 0.3 });
  await execute(host, first);
  const again = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 3, '6.value': 0.3 }));
  assert.deepEqual(again.executed, [], 'an identical prompt runs nothing');
  const changed = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 3, '6.value': 0.7 }));
  assert.equal(changed.status, 'success');
  assert.deepEqual([...changed.executed].sort(), ['10', '6', '7', '8', '9']);
  // Text and image encodings come from the cache (Load Image and Scale are not even consulted).
  for (const id of ['2', '4', '5']) assert.ok(changed.cached.includes(id), `node ${id} cached`);
});

test('a sweep of K strengths equals K single runs with the same seed', async () => {
  const strengths = [0, 0.5, 1];
  const sweep = await execute(host, shippedPrompt(host, 'strength-sweep.json', { '8.steps': 3, '6.mode': 'list', '6.list': strengths.join(', '), '8.seed': 5 }));
  assert.equal(sweep.status, 'success', JSON.stringify(sweep.failures));
  assert.equal(sweep.outputs['12']?.images?.length, 3);
  const singles: ImageBatch[] = [];
  for (const value of strengths) {
    const single = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 3, '6.value': value, '8.seed': 5, '5.instruction': 'turn it into a pencil sketch' }));
    singles.push(await readImage(outputFile(single, '10')));
  }
  for (let k = 0; k < strengths.length; k++) {
    const frame = await readImage(outputFile(sweep, '12', k));
    // Same seed and noise: the batched item differs from its single run only by float rounding (+ 8-bit quantisation).
    assert.ok(maxDifference(frame, singles[k]!) <= 2 / 255, `strength ${strengths[k]}: max difference ${maxDifference(frame, singles[k]!)}`);
  }
  // ... and the agreement is not trivial: another seed gives another image.
  const otherSeed = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 3, '6.value': 0, '8.seed': 6, '5.instruction': 'turn it into a pencil sketch' }));
  assert.ok(maxDifference(await readImage(outputFile(otherSeed, '10')), singles[0]!) > 4 / 255);
});

test('the sweep workflow writes a labelled grid and an animation of the right size and frame count', async () => {
  const result = await execute(host, shippedPrompt(host, 'strength-sweep.json', { '8.steps': 2, '6.count': 4, '11.format': 'webp+gif' }));
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const grid = await readImage(outputFile(result, '10'));
  assert.equal(grid.width, 5 * 48 + 6 * 4, 'source + 4 strengths of 48 px with 4 px gaps');
  assert.ok(grid.height > 32);
  const animation = result.outputs['11']!;
  assert.deepEqual(animation.animated, [true, true]);
  for (const [i, format] of (['webp', 'gif'] as const).entries()) {
    const { readFile } = await import('node:fs/promises');
    const info = await readAnimationInfo(await readFile(outputFile(result, '11', i)));
    // source + 4 frames, ping-pong back without repeating the ends: 5 + 3 = 8 frames at 6 fps. libwebp and
    // cgif merge identical consecutive frames (random weights can give two equal frames) into one longer frame, so the
    // playing time is the invariant: 8 x 167 ms.
    assert.deepEqual([info.format, info.width, info.height], [format, 48, 32]);
    assert.ok(info.frames >= 2 && info.frames <= 8, `${format}: ${info.frames} frames`);
    // 6 fps: 167 ms per frame in WebP; GIF counts in centiseconds, so 170 ms.
    assert.equal(info.delay.reduce((a, b) => a + b, 0), 8 * (format === 'gif' ? 170 : 167));
  }
});

test('the compare template sweeps one instruction at cfg 1 and 1.5 from one noise and stacks the two rows', async () => {
  const result = await execute(host, shippedPrompt(host, 'compare-guidance.json', { '6.count': 3 }));
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const grid = await readImage(outputFile(result, '12'));
  assert.equal(grid.width, 4 * 48 + 5 * 4, 'a row: source + 3 strengths of 48 px with 4 px gaps');
  // 48x32 tiles: each row is a 9 px label band (the 5x7 font at scale 1), then a strip of 4 + 32 + 11 + 4 px.
  assert.equal(grid.height, 2 * (9 + 51));
  const tile = (row: number, t: number): Float32Array => {
    const out = new Float32Array(48 * 32 * 3);
    for (let y = 0; y < 32; y++) {
      const start = ((row * 60 + 9 + 4 + y) * grid.width + 4 + t * 52) * 3;
      out.set(grid.pixels.subarray(start, start + 48 * 3), y * 48 * 3);
    }
    return out;
  };
  const difference = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  assert.equal(difference(tile(0, 0), tile(1, 0)), 0, 'both rows start with the same source');
  assert.ok(difference(tile(0, 3), tile(1, 3)) > 4 / 255, 'cfg 1.5 changes the full edit');
  assert.ok(difference(tile(0, 1), tile(0, 3)) > 0, 'a row is a sweep, not one image repeated');
});

test('Encode Text names the words the model does not know; an instruction it knows gets no note', async () => {
  const unknown = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '5.instruction': 'add zebras, snow' }));
  assert.equal(unknown.status, 'success', JSON.stringify(unknown.failures));
  assert.deepEqual(unknown.outputs['5']?.text, [
    'kontext-fixture does not know "zebras", "," and reads them as unknown: rephrase with words it knows (its model card says what it was trained on).',
  ]);
  const known = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '5.instruction': 'turn the sky to night' }));
  assert.equal(known.outputs['5']?.text, undefined);
  const long = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '5.instruction': Array(40).fill('add snow').join(' ') }));
  assert.deepEqual(long.outputs['5']?.text, ['the instruction is longer than kontext-fixture reads: the end is cut.']);
});

test('chained edits: the first Decode is the second edit\'s reference', async () => {
  const result = await execute(host, shippedPrompt(host, 'chained-edits.json', { '8.steps': 2, '15.steps': 2 }));
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  for (const id of ['11', '12', '13', '14', '15', '16', '17']) assert.ok(result.executed.includes(id), `node ${id} ran`);
  const grid = await readImage(outputFile(result, '17'));
  assert.equal(grid.width, 5 * 48 + 6 * 4, 'first edit + 4 strengths');
});

test('an interrupt stops the denoise within one step and the next prompt is unaffected', async () => {
  const controller = new AbortController();
  const steps: number[] = [];
  let abortedAt = -1;
  const transformerRuns = () => host.models.runtime.loadedModels().filter((file) => file.endsWith('transformer.onnx'))
    .reduce((sum, file) => sum + host.models.runtime.runTimings(file).runs, 0);
  const runsBefore = transformerRuns();
  const result = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 200, '6.value': 0.9 }), {
    signal: controller.signal,
    emit: (event) => {
      if (event.type === 'progress' && event.data.node === '8') {
        steps.push(event.data.value);
        if (event.data.value === 3) {
          abortedAt = 3;
          controller.abort(new Error('stop'));
        }
      }
    },
  });
  assert.equal(result.status, 'interrupted');
  assert.equal(abortedAt, 3);
  assert.ok(Math.max(...steps) <= abortedAt + 1, `stopped within one step (last step ${Math.max(...steps)})`);
  assert.ok(result.events.some((e) => e.type === 'execution_interrupted'));
  const next = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 2, '6.value': 0.9 }));
  assert.equal(next.status, 'success');
  // The loop runs on the onnxruntime thread, at most two steps past the progress this thread has taken, so it
  // stops by step abortedAt + 2 however the threads are scheduled. Its runs are counted when it answers, which
  // the next prompt's runs wait for.
  const ran = transformerRuns() - runsBefore - 2;
  assert.ok(ran >= abortedAt && ran <= abortedAt + 2, `the transformer ran ${ran} of 200 steps after an interrupt at step ${abortedAt}`);
});

test('mistakes give errors a person can act on', async () => {
  // A bundle that does not exist fails validation on the loader's list.
  const { validatePrompt } = await import('../../server/engine/index.js');
  const missing = shippedPrompt(host, 'kontinuous-edit.json');
  missing['2']!.inputs.bundle = 'no-such-bundle';
  const validation = await validatePrompt(missing, host.registry, host.services);
  assert.equal(validation.ok, false);
  assert.equal(validation.node_errors['2']?.errors[0]?.type, 'value_not_in_list');
  // An image whose sides do not suit the model: Encode Image straight from Load Image.
  const unscaled = shippedPrompt(host, 'kontinuous-edit.json', { '8.steps': 2 });
  unscaled['4']!.inputs.image = ['1', 0];
  const result = await execute(host, unscaled);
  assert.equal(result.status, 'error');
  assert.match(result.failures[0]!.message, /451x300.*multiples of 16.*Scale Image for Kontext/);
});

test('a plain Kontext bundle: strength nodes refuse it clearly, and an edit without them runs', async (t) => {
  const { cpSync, mkdtempSync, rmSync, readFileSync, writeFileSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { editHost: makeHost, FIXTURE_BUNDLES } = await import('./edit-host.js');
  const root = mkdtempSync(path.join(tmpdir(), 'knodes-plain-'));
  const dir = path.join(root, 'kontext-plain');
  cpSync(path.join(FIXTURE_BUNDLES, 'kontext-fixture'), dir, { recursive: true });
  const plain = path.resolve(import.meta.dirname, '..', 'runtime', 'fixtures', 'plain-transformer.onnx');
  cpSync(plain, path.join(dir, 'transformer.onnx'));
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  manifest.name = 'kontext-plain';
  manifest.kontinuous = { projector: false, lora: 'none' };
  manifest.sha256['transformer.onnx'] = createHash('sha256').update(readFileSync(plain)).digest('hex');
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const plainHost = await makeHost([root]);
  t.after(async () => {
    await plainHost.dispose();
    rmSync(root, { recursive: true, force: true });
  });
  const withStrength = await execute(plainHost, shippedPrompt(plainHost, 'kontinuous-edit.json', { '8.steps': 2 }, 'kontext-plain'));
  assert.equal(withStrength.status, 'error');
  const failure = withStrength.failures.find((f) => f.node_type === 'KontextProjector');
  assert.match(failure?.message ?? '', /kontext-plain.*no strength control/);
  // Without Strength and Projector (modulation left unconnected) the same bundle edits.
  const prompt = shippedPrompt(plainHost, 'kontinuous-edit.json', { '8.steps': 2 }, 'kontext-plain');
  delete prompt['8']!.inputs.modulation;
  delete prompt['6'];
  delete prompt['7'];
  const without = await execute(plainHost, prompt);
  assert.equal(without.status, 'success', JSON.stringify(without.failures));
});

test('a bundle re-exported under the same name is reloaded and invalidates cached results', async (t) => {
  const { cpSync, mkdtempSync, rmSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { editHost: makeHost, FIXTURE_BUNDLES } = await import('./edit-host.js');
  const root = mkdtempSync(path.join(tmpdir(), 'knodes-reexport-'));
  const dir = path.join(root, 'kontext-copy');
  cpSync(path.join(FIXTURE_BUNDLES, 'kontext-fixture'), dir, { recursive: true });
  const editManifest = (edit: (m: Record<string, any>) => void): void => {
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  };
  editManifest((m) => void (m.name = 'kontext-copy'));
  const copyHost = await makeHost([root]);
  t.after(async () => {
    await copyHost.dispose();
    rmSync(root, { recursive: true, force: true });
  });
  const prompt = (): ReturnType<typeof shippedPrompt> => shippedPrompt(copyHost, 'kontinuous-edit.json', { '8.steps': 2 }, 'kontext-copy');
  assert.equal((await execute(copyHost, prompt())).status, 'success');
  assert.deepEqual((await execute(copyHost, prompt())).executed, []);
  // "Re-export": a file's bytes change and the manifest records its new checksum.
  const { createHash } = await import('node:crypto');
  const tokenizerFile = path.join(dir, 'tokenizer_t5.json');
  writeFileSync(tokenizerFile, JSON.stringify(JSON.parse(readFileSync(tokenizerFile, 'utf8')), null, 1));
  editManifest((m) => void (m.sha256['tokenizer_t5.json'] = createHash('sha256').update(readFileSync(tokenizerFile)).digest('hex')));
  const rerun = await execute(copyHost, prompt());
  assert.equal(rerun.status, 'success', JSON.stringify(rerun.failures));
  assert.ok(rerun.executed.includes('2') && rerun.executed.includes('8'), `reloaded and re-ran: ${rerun.executed.join(',')}`);
  assert.deepEqual((await execute(copyHost, prompt())).executed, []);
  // A re-calibration: the same weights, a new strength curve. The modulation changes, so the results must too.
  editManifest((m) => void (m.kontinuous.strength_curve = [[0, 0], [0.5, 0.7], [1, 1]]));
  const recalibrated = await execute(copyHost, prompt());
  assert.equal(recalibrated.status, 'success', JSON.stringify(recalibrated.failures));
  assert.ok(['2', '7', '8'].every((id) => recalibrated.executed.includes(id)), `re-ran after the curve changed: ${recalibrated.executed.join(',')}`);
});

test('a sweep fed into a second edit edits every frame at every strength, labelled with both strengths', async () => {
  const result = await execute(host, shippedPrompt(host, 'chained-edits.json', { '8.steps': 2, '15.steps': 2, '6.mode': 'list', '6.list': '0.3, 0.9', '13.count': 2, '13.start': 0.5 }));
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const grid = await readImage(outputFile(result, '17'));
  // source tile (first item of the first edit) + 2 references x 2 strengths.
  assert.equal(grid.width, 5 * 48 + 6 * 4);
  assert.equal(result.outputs['10']?.images?.length, 2, 'the first edit saved both frames');
});

test('Denoise output metadata: strengths per item, both strengths in the label when chaining a sweep', async () => {
  const { kontextDenoise } = await import('../../nodes/kontext/denoise.js');
  const { makeLatent } = await import('../../nodes/kontext/sockets.js');
  const handle = await host.models.load('kontext-fixture');
  const text = await host.models.encodeText(handle, 'make it night');
  const image = { data: new Float32Array(2 * 3 * 32 * 32).fill(0.1), dims: [2, 3, 32, 32] };
  const z = await host.models.encodeImage(handle, image);
  const model = { kind: 'KONTEXT_MODEL', name: 'kontext-fixture', handle };
  const conditioning = { kind: 'CONDITIONING', model: 'kontext-fixture', text: 'make it night', pooled: text.pooled.data, pooledDim: text.pooled.dims[1], embeds: text.embeds.data, seqLen: text.embeds.dims[1], embedDim: text.embeds.dims[2] };
  const reference = makeLatent('kontext-fixture', 2, z.dims[1]!, z.dims[2]!, z.dims[3]!, z.data, [{ strength: 0.3 }, { strength: 0.9 }]);
  const mod = await host.models.project(handle, [0.5, 1], text.pooled);
  const modulation = { kind: 'MODULATION', model: 'kontext-fixture', strengths: [0.5, 1], data: mod.data, dim: mod.dims[1] };
  const progress: number[] = [];
  const ctx = { signal: new AbortController().signal, progress: (v: number) => progress.push(v), preview: () => {}, services: host.services } as never;
  const out = await kontextDenoise.run(ctx, { model, conditioning, reference, modulation, seed: 1, steps: 2, guidance: 2.5 });
  const latent = (out as { outputs: Array<{ count: number; meta: Array<{ strength?: number; label?: string }> }> }).outputs[0]!;
  assert.equal(latent.count, 4);
  assert.deepEqual(latent.meta.map((m) => m.label), ['0.30>0.50', '0.30>1.00', '0.90>0.50', '0.90>1.00']);
  assert.deepEqual(latent.meta.map((m) => m.strength), [0.5, 1, 0.5, 1]);
  assert.deepEqual(progress.slice(0, 4), [1, 2, 3, 4], 'progress counts the steps of both references');
});

test('Denoise over the transformer token budget: the sweep splits into calls, one progress bar counts them all', async () => {
  const { kontextDenoise } = await import('../../nodes/kontext/denoise.js');
  const { makeLatent } = await import('../../nodes/kontext/sockets.js');
  const { KontextPipeline } = await import('../../server/runtime/kontext-pipeline.js');
  const text = await host.models.encodeText(await host.models.load('kontext-fixture'), 'make it night');
  const tokensPerItem = 2 * (32 / 8 / 2) ** 2 + text.embeds.dims[1]!;
  // Two strengths per transformer call, on the host's runtime and sessions.
  const small = new KontextPipeline(host.models.registry, host.models.runtime, { transformerTokensPerCall: 2 * tokensPerItem });
  const handle = await small.load('kontext-fixture');
  const z = await small.encodeImage(handle, { data: new Float32Array(3 * 32 * 32).fill(0.1), dims: [1, 3, 32, 32] });
  const model = { kind: 'KONTEXT_MODEL', name: 'kontext-fixture', handle };
  const conditioning = { kind: 'CONDITIONING', model: 'kontext-fixture', text: 'make it night', pooled: text.pooled.data, pooledDim: text.pooled.dims[1], embeds: text.embeds.data, seqLen: text.embeds.dims[1], embedDim: text.embeds.dims[2] };
  const reference = makeLatent('kontext-fixture', 1, z.dims[1]!, z.dims[2]!, z.dims[3]!, z.data, [{}]);
  const strengths = [0, 0.25, 0.5, 0.75, 1];
  const mod = await small.project(handle, strengths, text.pooled);
  const modulation = { kind: 'MODULATION', model: 'kontext-fixture', strengths, data: mod.data, dim: mod.dims[1] };
  const run = async (spacing: string, pipeline: unknown) => {
    const progress: Array<[number, number]> = [];
    const ctx = { signal: new AbortController().signal, progress: (v: number, m: number) => progress.push([v, m]), preview: () => {}, services: { ...host.services, models: pipeline } } as never;
    const out = await kontextDenoise.run(ctx, { model, conditioning, reference, modulation, seed: 3, steps: 2, guidance: 2.5, spacing });
    return { latent: (out as { outputs: Array<{ data: Float32Array; count: number }> }).outputs[0]!, progress };
  };
  const split = await run('as given', small);
  const whole = await run('as given', host.models);
  assert.equal(split.latent.count, 5);
  let worst = 0;
  for (let i = 0; i < whole.latent.data.length; i++) worst = Math.max(worst, Math.abs(split.latent.data[i]! - whole.latent.data[i]!));
  assert.ok(worst <= 1e-6, `split and whole sweeps differ by ${worst}`);
  // 5 strengths in calls of 2: 3 calls of 2 steps.
  assert.deepEqual(split.progress, [1, 2, 3, 4, 5, 6].map((v) => [v, 6]));
  assert.deepEqual(whole.progress, [[1, 2], [2, 2]]);
  // Even change: the sweep (3 calls), then its 3 inner strengths again (2 calls), on one bar of 10 steps.
  const even = await run('even change', small);
  assert.deepEqual(even.progress, Array.from({ length: 10 }, (_, i) => [i + 1, 10]));
});

test('a chained sweep that would make too many images is refused before any work', async () => {
  const result = await execute(host, shippedPrompt(host, 'chained-edits.json', { '8.steps': 1, '15.steps': 1, '6.mode': 'sweep', '6.count': 9, '13.count': 8 }));
  assert.equal(result.status, 'error');
  assert.match(result.failures.find((f) => f.node_id === '15')?.message ?? '', /9 reference image\(s\) x 8 strength\(s\) = 72 images.*at most 64/);
});
