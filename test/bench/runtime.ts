// npm run bench:runtime: what the runtime itself costs around onnxruntime.
// (1) The denoise loop's own work per step (noise, packing, copying reference tokens in, slicing velocity out,
//     Euler, x0 previews) with a stand-in velocity that costs nothing, at kontext-tiny's and FLUX's sizes.
// (2) The same loop on the fixture bundle's real transformer session: time per step and the share outside
//     onnxruntime. Medians of several runs; wall-clock and this process's CPU time.
import path from 'node:path';
import { runDenoiseLoop } from '../../server/runtime/denoise-loop.js';
import { createModelService } from '../../server/runtime/model-service.js';
import { FLUX_SCHEDULER } from '../../nodes/kontext/math/schedule.js';
import { gaussianNoise } from '../../nodes/kontext/math/noise.js';
import type { FloatTensor } from '../../nodes/kontext/math/tensor.js';

const RUNS = Number(process.env.RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = () => process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;

async function loopCost(size: number, batch: number, steps: number, previews: boolean): Promise<{ wall: number; cpu: number }> {
  const h = size / 8;
  const reference = { data: new Float32Array(16 * h * h).fill(0.1), dims: [1, 16, h, h] };
  let zero: FloatTensor | null = null;
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    await runDenoiseLoop(
      { batch, latentChannels: 16, latentHeight: h, latentWidth: h, reference, seed: r, steps, scheduler: FLUX_SCHEDULER },
      async (hidden) => (zero ??= { data: new Float32Array(hidden.data.length), dims: hidden.dims }),
      previews ? { onStep: () => {} } : {},
    );
    if (r > 0) {
      walls.push((performance.now() - w0) / steps);
      cpus.push((cpuMs() - c0) / steps);
    }
  }
  return { wall: median(walls), cpu: median(cpus) };
}

console.log(`runtime bench: ${RUNS} runs, medians; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('\n(1) loop cost per step without onnxruntime (ms, wall / cpu)');
console.log('| size | batch | steps | per step | per step with x0 previews |');
console.log('|---|---|---|---|---|');
for (const [size, batch, steps] of [[128, 1, 28], [128, 8, 28], [1024, 1, 8], [1024, 8, 4]] as const) {
  const plain = await loopCost(size, batch, steps, false);
  const withPreview = await loopCost(size, batch, steps, true);
  console.log(`| ${size}x${size} | ${batch} | ${steps} | ${plain.wall.toFixed(3)} / ${plain.cpu.toFixed(3)} | ${withPreview.wall.toFixed(3)} / ${withPreview.cpu.toFixed(3)} |`);
}
const n0 = performance.now();
gaussianNoise(1, 16 * 128 * 128);
console.log(`\nnoise for one FLUX 1024x1024 latent (262,144 values): ${(performance.now() - n0).toFixed(1)} ms`);

console.log('\n(2) fixture bundle transformer through onnxruntime (cpu), 28 steps');
console.log('| size | batch | ms per step | share outside onnxruntime |');
console.log('|---|---|---|---|');
const models = createModelService({ repoDir: '/nonexistent', extraModelDirs: [path.join(import.meta.dirname, '..', 'fixtures', 'bundles')], device: 'cpu', log: () => {} });
const handle = await models.loadBundle('kontext-fixture');
const text = await models.encodeText(handle, 'make the sky red');
for (const [size, batch] of [[128, 1], [128, 8], [256, 1]] as const) {
  const ref = await models.encodeImage(handle, { data: new Float32Array(3 * size * size).fill(0.1), dims: [1, 3, size, size] });
  const strengths = Array.from({ length: batch }, (_, i) => (i + 1) / batch);
  const modulation = await models.project(handle, strengths, text.pooled);
  const perStep: number[] = [];
  const outside: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    await models.denoise(handle, { text, refLatent: ref, modulation, strengths, seed: r, steps: 28, guidance: 2.5, width: size, height: size });
    const t = models.timings().lastDenoise!;
    if (r > 0) {
      perStep.push(t.wallMs / t.steps);
      outside.push((t.wallMs - t.onnxMs) / t.wallMs);
    }
  }
  console.log(`| ${size}x${size} | ${batch} | ${median(perStep).toFixed(2)} | ${(100 * median(outside)).toFixed(2)}% |`);
}
await models.runtime.release();
