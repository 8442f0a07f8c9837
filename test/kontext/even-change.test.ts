// Kontext Denoise's "even change" spacing on the shipped kontext-tiny model, through the engine and the shipped
// workflows: a re-rendered sweep changes more evenly between neighbouring strengths than the sweep as given (the
// quality bars' smoothness figure, on the saved frames), keeps the ends and says which strengths it rendered;
// single strengths land at equal steps of change, from a probe measured once per edit; what cannot be spaced is
// refused before anything renders.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../../server/media/codec.js';
import { REPO_DIR } from '../../server/config.js';
import { distanceFeatures, perceptualDistance } from '../../nodes/kontext/math/perceptual-distance.js';
import type { ImageBatch } from '../../nodes/sockets.js';
import { editHost, execute, shippedPrompt, type EditHost } from './edit-host.js';

const TINY = path.join(REPO_DIR, 'models', 'kontext-tiny', 'manifest.json');
const skip = existsSync(TINY) ? false : 'models/kontext-tiny is not installed yet';
const COUNT = 6;
const STEPS = 2; // the shipped workflows' Kontext Denoise steps (server/cli/shipped-workflows.ts)

let host: EditHost;
before(async () => {
  if (existsSync(TINY)) host = await editHost([], {});
});
after(async () => {
  await host?.dispose();
});

/** KL(normalised adjacent distances || uniform): 0 when every step of the sweep changes the image alike. */
function unevenness(adjacent: number[]): number {
  const total = adjacent.reduce((a, b) => a + b, 0);
  return adjacent.reduce((kl, d) => (d > 0 ? kl + (d / total) * Math.log((d / total) * adjacent.length) : kl), 0);
}

async function sweep(instruction: string, spacing: string, count = COUNT) {
  const result = await execute(host, shippedPrompt(host, 'strength-sweep.json', { '5.instruction': instruction, '6.count': count, '8.spacing': spacing }, 'kontext-tiny'));
  assert.equal(result.status, 'success', JSON.stringify(result.failures));
  const frames: ImageBatch[] = [];
  for (const image of result.outputs['12']!.images!) {
    frames.push((await decodeImage(readFileSync(host.files.resolve(image.type, image.subfolder, image.filename)))).image);
  }
  const features = frames.map((f) => distanceFeatures(f.pixels, f.height, f.width));
  const adjacent = features.slice(1).map((f, k) => perceptualDistance(features[k]!, f));
  const progressMax = result.events.flatMap((e) => (e.type === 'progress' && e.data.node === '8' ? [e.data.max] : []));
  return { result, frames, adjacent, kl: unevenness(adjacent), progressMax };
}

for (const instruction of ['make it night', 'turn it into a pencil sketch']) {
  test(`kontext-tiny: "${instruction}" swept with even change steps more evenly, same ends`, { skip }, async (t) => {
    const given = await sweep(instruction, 'as given');
    const even = await sweep(instruction, 'even change');
    t.diagnostic(`as given: KL ${given.kl.toFixed(4)}, steps ${given.adjacent.map((d) => d.toFixed(3)).join(' ')}`);
    t.diagnostic(`even change: KL ${even.kl.toFixed(4)}, steps ${even.adjacent.map((d) => d.toFixed(3)).join(' ')}`);
    const strengths = even.result.outputs['8']!.strengths as number[];
    t.diagnostic(`rendered at ${strengths.map((s) => s.toFixed(3)).join(', ')}`);
    assert.ok(even.kl < given.kl, `even change did not even out the sweep: KL ${even.kl} vs ${given.kl}`);
    // The ends are the probe's own frames: the same pixels as the sweep as given.
    assert.deepEqual(even.frames[0]!.pixels, given.frames[0]!.pixels);
    assert.deepEqual(even.frames.at(-1)!.pixels, given.frames.at(-1)!.pixels);
    assert.equal(strengths.length, COUNT);
    assert.equal(strengths[0], 0);
    assert.equal(strengths.at(-1), 1);
    for (let k = 1; k < COUNT; k++) assert.ok(strengths[k]! > strengths[k - 1]!, `not increasing: ${strengths.join(', ')}`);
    // Kept to 3 decimals, so labels show exactly what was rendered.
    for (const s of strengths) assert.equal(s, Math.round(s * 1000) / 1000);
    // Two passes of the sampler, one progress bar.
    assert.equal(given.progressMax[0], STEPS);
    assert.ok(even.progressMax.every((max) => max === 2 * STEPS), `progress max ${[...new Set(even.progressMax)].join(', ')}`);
    assert.equal(given.result.outputs['8'], undefined);
  });
}

test('even change refuses strengths out of order and a denoise without a Projector, before rendering', { skip }, async () => {
  const shuffled = await execute(host, shippedPrompt(host, 'strength-sweep.json', { '6.mode': 'list', '6.list': '0.5, 0.2, 0.9', '8.spacing': 'even change' }, 'kontext-tiny'));
  assert.equal(shuffled.status, 'error');
  assert.match(JSON.stringify(shuffled.failures), /spacing 'even change': even change needs strengths in order from start to end, got 0.5, 0.2, 0.9/);
  assert.equal(shuffled.events.filter((e) => e.type === 'progress' && e.data.node === '8').length, 0);

  const plain = shippedPrompt(host, 'kontinuous-edit.json', { '8.spacing': 'even change' }, 'kontext-tiny');
  delete (plain['8']!.inputs as Record<string, unknown>).modulation;
  const noProjector = await execute(host, plain);
  assert.equal(noProjector.status, 'error');
  assert.match(JSON.stringify(noProjector.failures), /needs strengths from a Projector connected to modulation/);
});

test('two strengths are already evenly spaced: one pass, as given', { skip }, async () => {
  const { result, progressMax } = await sweep('add fog', 'even change', 2);
  assert.ok(progressMax.every((max) => max === STEPS));
  assert.equal(result.outputs['8'], undefined);
});

test('kontext-tiny: single strengths with even change land at equal steps of change, the probe measured once', { skip }, async (t) => {
  const values = [0, 0.25, 0.5, 0.75, 1];
  const run = async (spacing: string, value: number) => {
    // A seed no other test uses: a sweep of the same edit would have measured its path already.
    const result = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { '6.value': value, '8.spacing': spacing, '8.seed': 4242 }, 'kontext-tiny'));
    assert.equal(result.status, 'success', JSON.stringify(result.failures));
    const image = result.outputs['10']!.images![0]!;
    const frame = (await decodeImage(readFileSync(host.files.resolve(image.type, image.subfolder, image.filename)))).image;
    const progressMax = result.events.flatMap((e) => (e.type === 'progress' && e.data.node === '8' ? [e.data.max] : []));
    return { frame, progressMax, strengths: result.outputs['8']?.strengths as number[] | undefined };
  };
  const steps = (frames: ImageBatch[]): number[] => {
    const features = frames.map((f) => distanceFeatures(f.pixels, f.height, f.width));
    return features.slice(1).map((f, k) => perceptualDistance(features[k]!, f));
  };
  const given = [];
  for (const v of values) given.push(await run('as given', v));
  const even = [];
  for (const v of values) even.push(await run('even change', v));
  const klGiven = unevenness(steps(given.map((g) => g.frame)));
  const klEven = unevenness(steps(even.map((e) => e.frame)));
  t.diagnostic(`KL as given ${klGiven.toFixed(4)}, even change ${klEven.toFixed(4)}; rendered at ${even.map((e) => e.strengths?.[0]?.toFixed(3) ?? '-').join(', ')}`);
  assert.ok(klEven < klGiven, `single strengths with even change are not more even: ${klEven} vs ${klGiven}`);
  // s = 0 and 1 are the ends: rendered as given, nothing reported, one pass.
  for (const k of [0, 4]) {
    assert.deepEqual(even[k]!.frame.pixels, given[k]!.frame.pixels);
    assert.equal(even[k]!.strengths, undefined);
  }
  // The first inner strength measured the edit (two passes); the others reused it (one pass each).
  assert.deepEqual(even.slice(1, 4).map((e) => e.progressMax[0]), [2 * STEPS, STEPS, STEPS]);
  const rendered = even.slice(1, 4).map((e) => e.strengths![0]!);
  for (let k = 1; k < 3; k++) assert.ok(rendered[k]! > rendered[k - 1]!, `rendered strengths not increasing: ${rendered.join(', ')}`);
});

test('kontext-tiny: after a sweep with even change over 0..1, a single strength of the same edit needs no probe', { skip }, async () => {
  const edit = { '8.seed': 777, '8.spacing': 'even change' };
  const sweepRun = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { ...edit, '6.mode': 'sweep', '6.start': 0, '6.end': 1, '6.count': 4 }, 'kontext-tiny'));
  assert.equal(sweepRun.status, 'success', JSON.stringify(sweepRun.failures));
  const single = await execute(host, shippedPrompt(host, 'kontinuous-edit.json', { ...edit, '6.mode': 'single', '6.value': 0.4 }, 'kontext-tiny'));
  assert.equal(single.status, 'success', JSON.stringify(single.failures));
  const progressMax = single.events.flatMap((e) => (e.type === 'progress' && e.data.node === '8' ? [e.data.max] : []));
  assert.ok(progressMax.length > 0 && progressMax.every((max) => max === STEPS), `one pass expected, progress max ${[...new Set(progressMax)].join(', ')}`);
  assert.equal((single.outputs['8']!.strengths as number[]).length, 1);
});
