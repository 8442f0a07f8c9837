// Kontext Denoise's classifier-free guidance (cfg against a negative conditioning) on the random-weight fixture
// bundle: off at 1, exactly the negative's edit at 0, linear in cfg for one Euler step, the same across split
// transformer calls, its own even-change probe, and the empty instruction as the negative unless one is connected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { kontextDenoise } from '../../nodes/kontext/denoise.js';
import { makeLatent, type Conditioning, type Latent } from '../../nodes/kontext/sockets.js';
import { KontextPipeline } from '../../server/runtime/kontext-pipeline.js';
import { editHost, type EditHost } from './edit-host.js';

let host: EditHost;
before(async () => {
  host = await editHost();
});
after(async () => {
  await host?.dispose();
});

async function setup() {
  const handle = await host.models.load('kontext-fixture');
  const conditioningOf = async (instruction: string): Promise<Conditioning> => {
    const t = await host.models.encodeText(handle, instruction);
    return { kind: 'CONDITIONING', model: 'kontext-fixture', text: instruction, pooled: t.pooled.data, pooledDim: t.pooled.dims[1]!, embeds: t.embeds.data, seqLen: t.embeds.dims[1]!, embedDim: t.embeds.dims[2]! };
  };
  const pixels = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => ((i * 13) % 11) / 11);
  const z = await host.models.encodeImage(handle, { data: pixels, dims: [1, 3, 32, 32] });
  const [, channels, h, w] = z.dims as [number, number, number, number];
  const reference: Latent = makeLatent('kontext-fixture', 1, channels, h, w, z.data, [{}]);
  const positive = await conditioningOf('make it night');
  const negative = await conditioningOf('');
  const strengths = [0.25, 1];
  const mod = await host.models.project(handle, strengths, { data: positive.pooled, dims: [1, positive.pooledDim] });
  const modulation = { kind: 'MODULATION', model: 'kontext-fixture', strengths, data: mod.data, dim: mod.dims[1] };
  const model = { kind: 'KONTEXT_MODEL', name: 'kontext-fixture', handle };
  const tokensPerItem = 2 * (h / 2) * (w / 2) + positive.seqLen;
  return { model, reference, positive, negative, modulation, tokensPerItem };
}

type Inputs = Record<string, unknown>;

async function denoise(pipeline: unknown, inputs: Inputs): Promise<Float32Array> {
  const ctx = { signal: new AbortController().signal, progress: () => {}, preview: () => {}, services: { ...host.services, models: pipeline } } as never;
  const result = (await kontextDenoise.run(ctx, { seed: 7, steps: 2, guidance: 2.5, ...inputs })) as { outputs: Array<{ data: Float32Array }> };
  return result.outputs[0]!.data;
}

const maxDifference = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

test('cfg 1 ignores the negative; cfg 0 gives the negative instruction\'s own edit; cfg above 1 moves further', async () => {
  const { model, reference, positive, negative, modulation } = await setup();
  const base = { model, reference, modulation };
  const plain = await denoise(host.models, { ...base, conditioning: positive });
  const off = await denoise(host.models, { ...base, conditioning: positive, negative, cfg: 1 });
  assert.deepEqual(off, plain, 'cfg 1 is one pass: the same result bit for bit');
  const towardsNegative = await denoise(host.models, { ...base, conditioning: positive, negative, cfg: 0 });
  const negativeAlone = await denoise(host.models, { ...base, conditioning: negative });
  assert.ok(maxDifference(towardsNegative, negativeAlone) <= 1e-5, `cfg 0 is the negative's velocity (${maxDifference(towardsNegative, negativeAlone)})`);
  const guided = await denoise(host.models, { ...base, conditioning: positive, negative, cfg: 3 });
  assert.ok(maxDifference(guided, plain) > 1e-3, 'cfg 3 changes the result');
});

test('for one Euler step the result is linear in cfg: x(w) = x(0) + w (x(1) - x(0))', async () => {
  const { model, reference, positive, negative, modulation } = await setup();
  const at = (cfg: number) => denoise(host.models, { model, reference, modulation, conditioning: positive, negative, cfg, steps: 1 });
  const [x0, x1, x25] = [await at(0), await at(1), await at(2.5)];
  const expected = x0.map((v, i) => v + 2.5 * (x1[i]! - v));
  assert.ok(maxDifference(x25, expected) <= 1e-4, `cfg 2.5 extrapolates the two passes (${maxDifference(x25, expected)})`);
});

test('a guided sweep split over transformer calls (one strength per call) gives the same latents', async () => {
  const { model, reference, positive, negative, modulation, tokensPerItem } = await setup();
  const inputs = { model, reference, modulation, conditioning: positive, negative, cfg: 2 };
  // A guided item is two rows: this budget holds exactly one item per call.
  const oneItemPerCall = new KontextPipeline(host.models.registry, host.models.runtime, { transformerTokensPerCall: 2 * tokensPerItem });
  assert.equal(oneItemPerCall.itemsPerDenoiseCall(model.handle, { width: 32, height: 32, refLatent: { data: reference.data, dims: [1, reference.channels, reference.height, reference.width] }, text: { pooled: { data: positive.pooled, dims: [1, positive.pooledDim] }, embeds: { data: positive.embeds, dims: [1, positive.seqLen, positive.embedDim] } }, guide: { negative: { pooled: { data: negative.pooled, dims: [1, negative.pooledDim] }, embeds: { data: negative.embeds, dims: [1, negative.seqLen, negative.embedDim] } }, scale: 2 } }), 1);
  const whole = await denoise(host.models, inputs);
  const split = await denoise(oneItemPerCall, inputs);
  assert.ok(maxDifference(whole, split) <= 1e-5, `split calls agree (${maxDifference(whole, split)})`);
});

test('even change keeps one probe per guidance: another cfg measures its own edit', async () => {
  const { model, reference, positive, negative } = await setup();
  const single = await host.models.project(model.handle, [0.5], { data: positive.pooled, dims: [1, positive.pooledDim] });
  const modulation = { kind: 'MODULATION', model: 'kontext-fixture', strengths: [0.5], data: single.data, dim: single.dims[1] };
  let denoiseCalls = 0;
  const counting = new Proxy(host.models, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'denoise') return (...args: unknown[]) => (denoiseCalls++, (value as (...a: unknown[]) => unknown).apply(target, args));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const run = async (extra: Inputs): Promise<number> => {
    denoiseCalls = 0;
    await denoise(counting, { model, reference, modulation, conditioning: positive, spacing: 'even change', seed: 11, ...extra });
    return denoiseCalls;
  };
  assert.equal(await run({}), 2, 'first time: the probe, then the strength');
  assert.equal(await run({}), 1, 'the probe is kept');
  assert.equal(await run({ negative, cfg: 2 }), 2, 'guided: a probe of its own');
  assert.equal(await run({ negative, cfg: 2 }), 1, 'and it is kept too');
});

test('unconnected, the negative is the empty instruction; another model\'s negative is refused', async () => {
  const { model, reference, positive, negative, modulation } = await setup();
  const inputs = { model, reference, modulation, conditioning: positive, cfg: 2 };
  const byDefault = await denoise(host.models, inputs);
  const explicit = await denoise(host.models, { ...inputs, negative });
  assert.deepEqual(byDefault, explicit, 'the same as connecting the empty instruction');
  await assert.rejects(denoise(host.models, { ...inputs, negative: { ...negative, model: 'another-model' } }), /negative conditioning/);
});
