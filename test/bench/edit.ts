// `npm run bench:edit`: the default workflow through the engine on kontext-tiny (or the fixture bundle when
// kontext-tiny is not installed, said loudly): cold and warm runs, a strength-only re-run, a batched sweep of 8
// against 8 sequential runs, time per denoise step, the share of time outside onnxruntime, peak RSS. Results go
// to BENCHMARKS.md under "## Edit" (replacing an earlier Edit section).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { validatePrompt, type Prompt } from '../../server/engine/index.js';
import { REPO_DIR } from '../../server/config.js';
import { editHost, shippedPrompt, FIXTURE_BUNDLE, type EditHost } from '../kontext/edit-host.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const tinyInstalled = existsSync(path.join(REPO_DIR, 'models', 'kontext-tiny', 'manifest.json'));
const bundle = flag('bundle') ?? (tinyInstalled ? 'kontext-tiny' : FIXTURE_BUNDLE);
const repeats = Number(flag('repeats') ?? 7);
const write = !args.includes('--no-write');
// onnxruntime's own thread choice (one per core) unless --threads says otherwise.
const extraDirs = flag('models-dir') ? [path.resolve(flag('models-dir')!)] : [];
const threads = flag('threads') ? { intraOpThreads: Number(flag('threads')) } : {};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Timed {
  wallMs: number;
  /** onnxruntime time on the run's path: everything but the preview decodes, which run beside the loop. */
  onnxMs: number;
  previewOnnxMs: number;
  previews: number;
  executed: string[];
}

async function run(host: EditHost, prompt: Prompt): Promise<Timed> {
  const validation = await validatePrompt(prompt, host.registry, host.services);
  if (!validation.ok) throw new Error(`invalid prompt: ${JSON.stringify(validation.error ?? validation.node_errors)}`);
  host.models.resetTimings();
  let previews = 0;
  const started = performance.now();
  const result = await host.executor.execute((validation as { prompt?: Prompt }).prompt ?? prompt, {
    promptId: randomUUID(),
    outputs: validation.outputs,
    emit: (event) => void (event.type === 'preview' && previews++),
  });
  const wallMs = performance.now() - started;
  if (result.status !== 'success') throw new Error(`run failed: ${JSON.stringify(result.failures)}`);
  const timings = host.models.timings();
  const previewOnnxMs = timings.operations.previewDecode.onnxMs;
  return { wallMs, onnxMs: timings.onnxTotalMs - previewOnnxMs, previewOnnxMs, previews, executed: result.executed };
}

const steps = flag('steps');
const base = (host: EditHost, sets: Record<string, string | number> = {}): Prompt =>
  shippedPrompt(host, 'kontinuous-edit.json', { ...(steps && { '8.steps': steps }), ...sets }, bundle);
const sweepPrompt = (host: EditHost, count: number, start: number): Prompt =>
  shippedPrompt(host, 'kontinuous-edit.json', { ...(steps && { '8.steps': steps }), '6.mode': 'sweep', '6.start': start, '6.end': 1, '6.count': count }, bundle);

console.log(`bench:edit on ${bundle}${tinyInstalled ? '' : ' (kontext-tiny is not installed: figures are for the random-weight fixture)'}`);

// Cold: a fresh host each time (bundle check, session creation, first inference).
const cold: Timed[] = [];
for (let i = 0; i < Math.min(3, repeats); i++) {
  const host = await editHost(extraDirs, threads);
  cold.push(await run(host, base(host)));
  await host.dispose();
}

const host = await editHost(extraDirs, threads);
await run(host, base(host));
// Warm: sessions loaded, output cache cleared, the whole workflow recomputed.
const warm: Timed[] = [];
for (let i = 0; i < repeats; i++) {
  host.executor.cache.clear();
  warm.push(await run(host, base(host)));
}
// Strength-only: only Strength -> Projector -> Denoise -> Decode -> Save re-run.
const strengthOnly: Timed[] = [];
for (let i = 0; i < repeats; i++) strengthOnly.push(await run(host, base(host, { '6.value': (0.3 + 0.05 * i).toFixed(2) })));
await run(host, base(host, { '6.value': '0.99' }));
const lastDenoise = host.models.timings().lastDenoise!;
const stepMs = median(lastDenoise.stepMs);

// A sweep of 8 batched vs 8 sequential single-strength runs (encoders cached in both).
const batched: Timed[] = [];
const sequential: number[] = [];
for (let i = 0; i < Math.max(3, Math.floor(repeats / 2)); i++) {
  batched.push(await run(host, sweepPrompt(host, 8, 0.1 + 0.01 * i)));
  let total = 0;
  for (let k = 0; k < 8; k++) total += (await run(host, base(host, { '6.value': (0.1 + 0.01 * i + k * 0.1).toFixed(3) }))).wallMs;
  sequential.push(total);
}
const peakRssMb = process.resourceUsage().maxRSS / 1024;
await host.dispose();

const outside = (t: Timed[]): number => median(t.map((x) => (x.wallMs - x.onnxMs) / x.wallMs)) * 100;
const figures = {
  bundle,
  steps: lastDenoise.steps,
  tokens: lastDenoise.tokens,
  cold_ms: median(cold.map((t) => t.wallMs)),
  warm_ms: median(warm.map((t) => t.wallMs)),
  strength_only_ms: median(strengthOnly.map((t) => t.wallMs)),
  strength_only_nodes: strengthOnly[0]!.executed.length,
  step_ms: stepMs,
  outside_onnx_warm_pct: outside(warm),
  outside_onnx_strength_only_pct: outside(strengthOnly),
  sweep8_batched_ms: median(batched.map((t) => t.wallMs)),
  sweep8_sequential_ms: median(sequential),
  previews_per_strength_only_run: median(strengthOnly.map((t) => t.previews)),
  peak_rss_mb: peakRssMb,
};
const ratioOne = figures.sweep8_batched_ms / figures.strength_only_ms;
const ratioSeq = figures.sweep8_batched_ms / figures.sweep8_sequential_ms;
console.log(JSON.stringify({ ...figures, sweep8_vs_one_run: ratioOne, sweep8_vs_sequential: ratioSeq }, null, 2));

if (write) {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const f = (x: number, d = 0): string => x.toFixed(d);
  const section = `## Edit

\`npm run bench:edit\` (test/bench/edit.ts), ${date} UTC, ${os.cpus().length}-core CPU (${os.cpus()[0]?.model ?? 'unknown'}), no GPU,
onnxruntime-node CPU provider (intra-op threads: ${flag('threads') ?? "onnxruntime's default"}), Node ${process.versions.node}. Bundle \`${bundle}\`${tinyInstalled ? '' : ' (the random-weight fixture: kontext-tiny was not installed)'};
the default workflow (workflows/kontinuous-edit.json: 451x300 sample scaled to the model's size, ${figures.steps} steps,
${figures.tokens} target tokens); medians of ${repeats} runs (cold: ${cold.length}); the machine is shared, so absolute times wander.
"Outside onnxruntime" is wall time minus the onnxruntime time on the run's path (every session run except the
preview decodes, which run beside the denoise loop); it holds the engine, image decode/resize, packing, Euler
steps, JPEG previews and the PNG write.

| measure | value | target |
| --- | --- | --- |
| cold run (fresh runtime: bundle check, sessions, first inference) | ${f(figures.cold_ms)} ms | |
| warm run (sessions loaded, output cache cleared) | ${f(figures.warm_ms)} ms | |
| strength-only re-run (${figures.strength_only_nodes} nodes: Strength, Projector, Denoise, Decode, Save) | ${f(figures.strength_only_ms)} ms | <= 250 ms |
| time per denoise step (batch 1) | ${f(figures.step_ms, 2)} ms | |
| share outside onnxruntime, warm run | ${f(figures.outside_onnx_warm_pct, 1)} % | <= 2 % |
| share outside onnxruntime, strength-only re-run | ${f(figures.outside_onnx_strength_only_pct, 1)} % | <= 2 % |
| previews sent per strength-only run (made beside the loop, stale ones dropped) | ${f(figures.previews_per_strength_only_run)} of ${figures.steps} steps | |
| sweep of 8, batched | ${f(figures.sweep8_batched_ms)} ms = ${f(ratioOne, 2)} x one run | <= 4 x one run |
| 8 sequential single-strength runs | ${f(figures.sweep8_sequential_ms)} ms (batched = ${f(ratioSeq, 2)} x sequential) | |
| peak RSS of the benchmark process | ${f(figures.peak_rss_mb)} MB | |
`;
  const file = flag('benchmarks') ?? path.join(REPO_DIR, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf('\n## Edit\n');
  let next = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
  if (next < 0) next = text.length;
  const updated = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start + 1)}${section}${text.slice(next)}`;
  writeFileSync(file, updated.endsWith('\n') ? updated : `${updated}\n`);
  console.log('wrote BENCHMARKS.md ## Edit');
}
