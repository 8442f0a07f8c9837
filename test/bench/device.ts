// npm run bench:device -- --device webgpu [--bundle models/kontext-tiny] [--batch 1] [--runs 5] [--tolerance 1e-3]
// The GPU path, checked where a GPU is at hand: one Kontext edit of a bundle, run by the product's own runtime
// (OnnxRuntime: provider choice, sessions on the onnxruntime thread, the denoise loop there) once on the CPU and
// once on --device, component by component. Prints which provider `auto` picks and why, the largest difference
// of every output from the CPU's, and median times. Inputs are seeded (no tokenizer or image codec is needed,
// so the check runs from onnxruntime-node and tsx alone). Exits 1 when the device is unavailable or an output
// differs from the CPU's by more than --tolerance (relative to the output's largest magnitude).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OnnxRuntime, type DeviceChoice, type TensorValue } from '../../server/runtime/onnx.js';
import { gaussianNoise } from '../../nodes/kontext/math/noise.js';
import { textIds } from '../../nodes/kontext/math/position-ids.js';
import { toScaledLatent } from '../../nodes/kontext/math/vae.js';
import type { FloatTensor } from '../../nodes/kontext/math/tensor.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const device = flag('device', 'webgpu') as DeviceChoice;
const bundleDir = path.resolve(flag('bundle', path.join(import.meta.dirname, '..', '..', 'models', 'kontext-tiny')));
const batch = Number(flag('batch', '1'));
const runs = Number(flag('runs', '5'));
const tolerance = Number(flag('tolerance', '1e-3'));
const manifest = JSON.parse(readFileSync(path.join(bundleDir, 'manifest.json'), 'utf8'));
const file = (component: string) => path.join(bundleDir, manifest.files[component]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Token ids in the vocabulary's range after a begin token, padded: a plausible instruction without a tokenizer. */
function tokenIds(length: number, seed: number): TensorValue {
  const noise = gaussianNoise(seed, length);
  const ids = new BigInt64Array(batch * length);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < 8; i++) ids[b * length + i] = BigInt(4 + (Math.floor(Math.abs(noise[i]!) * 60) % 200));
  }
  return { data: ids, dims: [batch, length] };
}

const [width, height] = manifest.resolutions.native as [number, number];
const f = manifest.vae.downscale as number;
const image: FloatTensor = { data: gaussianNoise(7, batch * 3 * height * width).map((v) => Math.tanh(v)), dims: [batch, 3, height, width] };
const strengths = Float32Array.from({ length: batch }, (_, i) => (batch === 1 ? 0.6 : i / (batch - 1)));

interface Outcome { outputs: Map<string, FloatTensor>; ms: Map<string, number>; stepMs: number; provider: string }

/** Every component once to warm up, then `runs` timed runs; the outputs of the last run. */
async function editOn(choice: DeviceChoice): Promise<Outcome> {
  const runtime = new OnnxRuntime({ device: choice, log: (m) => console.log(`  [${choice}] ${m}`) });
  const provider = await runtime.resolveProvider();
  const times = new Map<string, number[]>();
  const outputs = new Map<string, FloatTensor>();
  const stepTimes: number[] = [];
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await work();
    (times.get(name) ?? times.set(name, []).get(name)!).push(performance.now() - t0);
    return result;
  };
  const load = (component: string) => runtime.load(file(component));
  for (let r = 0; r <= runs; r++) {
    const clip = await load('text_encoder_clip');
    const t5 = await load('text_encoder_t5');
    const pooled = (await timed('text_encoder_clip', () => clip.run({ input_ids: tokenIds(manifest.dims.clip_seq_len, 1) }))).pooled as FloatTensor;
    const embeds = (await timed('text_encoder_t5', () => t5.run({ input_ids: tokenIds(manifest.dims.t5_seq_len, 1) }))).text_embeds as FloatTensor;
    const projector = await load('projector');
    const modulation = (await timed('projector', () => projector.run({ strength: { data: strengths, dims: [batch, 1] }, pooled }))).modulation as FloatTensor;
    const encoder = await load('vae_encoder');
    const mean = (await timed('vae_encoder', () => encoder.run({ image }))).latent as FloatTensor;
    const reference = toScaledLatent({ data: mean.data.slice(0, mean.data.length / batch), dims: [1, ...mean.dims.slice(1)] }, manifest.vae);
    const transformer = await load('transformer');
    const txt = textIds(embeds.dims[1]!);
    const result = await timed('denoise', () => transformer.denoise(
      { batch, latentChannels: manifest.dims.latent_channels, latentHeight: height / f, latentWidth: width / f, reference, seed: 64, steps: manifest.defaults.steps, scheduler: manifest.scheduler },
      {
        encoder_hidden_states: embeds, pooled_projections: pooled, modulation,
        guidance: { data: new Float32Array(batch).fill(manifest.defaults.guidance), dims: [batch] },
        txt_ids: { data: txt, dims: [txt.length / 3, 3] }, lora_scale: { data: new Float32Array([1]), dims: [1] },
      },
      'velocity'));
    if (r > 0) stepTimes.push(median(result.stepMs));
    const decoder = await load('vae_decoder');
    const decoded = (await timed('vae_decoder', () => decoder.run({ latent: { data: result.latent.data.map((v) => v / manifest.vae.scaling_factor + manifest.vae.shift_factor), dims: result.latent.dims } }))).image as FloatTensor;
    Object.entries({ pooled, embeds, modulation, latent_mean: mean, denoised_latent: result.latent, image: decoded }).forEach(([k, v]) => outputs.set(k, v));
    if (r === 0) times.clear();
  }
  await runtime.release();
  return { outputs, ms: new Map([...times].map(([k, v]) => [k, median(v)])), stepMs: median(stepTimes), provider };
}

console.log(`device check: ${path.relative(process.cwd(), bundleDir) || bundleDir}, batch ${batch}, ${runs} runs (medians), ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`);
const auto = new OnnxRuntime({ device: 'auto', log: () => {} });
try {
  console.log(`auto picks: ${await auto.resolveProvider()}; tried: ${auto.providerAttempts().map((a) => `${a.provider} ${a.ok ? 'ok' : `(${a.reason})`}`).join(', ')}`);
} finally {
  await auto.release();
}
const cpu = await editOn('cpu');
let other: Outcome;
try {
  other = await editOn(device);
} catch (error) {
  console.log(`device ${device} unavailable: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
let worst = 0;
console.log(`\n| output | max abs diff ${other.provider} vs cpu | relative to max |\n|---|---:|---:|`);
for (const [name, ref] of cpu.outputs) {
  const got = other.outputs.get(name)!;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.data.length; i++) {
    diff = Math.max(diff, Math.abs(ref.data[i]! - got.data[i]!));
    scale = Math.max(scale, Math.abs(ref.data[i]!));
  }
  worst = Math.max(worst, diff / (scale || 1));
  console.log(`| ${name} | ${diff.toExponential(2)} | ${(diff / (scale || 1)).toExponential(2)} |`);
}
console.log(`\n| component | cpu ms | ${other.provider} ms | speed-up |\n|---|---:|---:|---:|`);
for (const [name, ms] of cpu.ms) {
  const o = other.ms.get(name)!;
  console.log(`| ${name} | ${ms.toFixed(2)} | ${o.toFixed(2)} | ${(ms / o).toFixed(2)}x |`);
}
console.log(`| one denoise step (on the onnxruntime thread) | ${cpu.stepMs.toFixed(2)} | ${other.stepMs.toFixed(2)} | ${(cpu.stepMs / other.stepMs).toFixed(2)}x |`);
console.log(`\nlargest relative difference ${worst.toExponential(2)} (tolerance ${tolerance})`);
process.exit(worst <= tolerance ? 0 : 1);
