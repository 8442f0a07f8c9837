// `npm run bench:edit`: the default workflow through the engine on kontext-tiny (or the fixture bundle when
// kontext-tiny is not installed, said loudly): cold and warm runs, a strength-only re-run, a batched sweep of 8
// against 8 sequential runs, time per denoise step, the share of time outside onnxruntime, peak RSS. Results go
// to BENCHMARKS.md under "## Edit" (replacing the table an earlier run wrote there, keeping what follows it).
// `--breakdown [warm]` instead prints where a strength-only (or warm) run's time outside onnxruntime goes, node by node;
// `--cfg-cost [--cfg W]` what Kontext Denoise's cfg costs a strength-only run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
const extraDirs = flag('models-dir') ? [path.resolve(flag('models-dir')!)] : [];
// Thread settings measured side by side: onnxruntime's own choice (one per core, the product's default) and one
// thread per operator (on a busy shared machine spinning thread pools can cost more than they bring).
const threadSettings = (flag('threads') ?? 'default,1').split(',').map((t) => t.trim());

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
const sweepPrompt = (host: EditHost, count: number, start: number, spacing = 'as given'): Prompt =>
  shippedPrompt(host, 'kontinuous-edit.json', { ...(steps && { '8.steps': steps }), '6.mode': 'sweep', '6.start': start, '6.end': 1, '6.count': count, '8.spacing': spacing }, bundle);

console.log(`bench:edit on ${bundle}${tinyInstalled ? '' : ' (kontext-tiny is not installed: figures are for the random-weight fixture)'}`);

if (args.includes('--breakdown')) {
  const { printBreakdown } = await import('./edit-breakdown.js');
  const host = await editHost(extraDirs, {});
  const warm = args[args.indexOf('--breakdown') + 1] === 'warm';
  await printBreakdown(host, (strength) => base(host, { '6.value': strength.toFixed(3) }), repeats * (warm ? 4 : 10), warm);
  await host.dispose();
  process.exit(0);
}

if (args.includes('--cfg-cost')) {
  // Kontext Denoise's cfg (two transformer rows per item) against cfg 1: strength-only re-runs taking turns, each
  // at a strength not rendered before, after one warm-up of each (the empty instruction is encoded once per model).
  const host = await editHost(extraDirs, {});
  const cfg = Number(flag('cfg') ?? 1.5);
  const at = (i: number, guided: boolean) => base(host, { '6.value': (0.3 + 0.001 * i + (guided ? 0.0005 : 0)).toFixed(4), '8.cfg': guided ? cfg : 1 });
  await run(host, at(-1, false));
  await run(host, at(-1, true));
  const plain: number[] = [];
  const guided: number[] = [];
  for (let i = 0; i < repeats * 3; i++) {
    plain.push((await run(host, at(i, false))).wallMs);
    guided.push((await run(host, at(i, true))).wallMs);
  }
  const ratios = guided.map((g, i) => g / plain[i]!);
  console.log(`strength-only run, ${plain.length} pairs taking turns: cfg 1 median ${median(plain).toFixed(1)} ms, cfg ${cfg} median ${median(guided).toFixed(1)} ms, ratio per pair median ${median(ratios).toFixed(2)}x`);
  await host.dispose();
  process.exit(0);
}

/** Everything measured for one thread setting. */
interface Samples {
  setting: string;
  threads: { intraOpThreads?: number };
  host?: EditHost;
  cold: Timed[];
  warm: Timed[];
  strengthOnly: Timed[];
  stepMs: number[];
  steps: number;
  tokens: number;
  batched: Timed[];
  /** The same sweep with Kontext Denoise's 'even change' spacing (probe, distances, inner strengths again). */
  even: Timed[];
  /** A single strength with 'even change': the first run of an edit (its probe), and a strength change after it. */
  evenSingleFirst: Timed[];
  evenSingleLater: Timed[];
  sequential: number[];
  /** Longest the event loop was held up (ms) during the strength-only runs and during the batched sweeps. */
  loopStall: { strengthOnly: number; sweep: number };
}

// The settings take turns at every measurement, so a change in the shared machine's load hits both columns alike.
const samples: Samples[] = threadSettings.map((setting) => ({
  setting,
  threads: setting === 'default' ? {} : { intraOpThreads: Number(setting) },
  cold: [],
  warm: [],
  strengthOnly: [],
  stepMs: [],
  steps: 0,
  tokens: 0,
  batched: [],
  even: [],
  evenSingleFirst: [],
  evenSingleLater: [],
  sequential: [],
  loopStall: { strengthOnly: 0, sweep: 0 },
}));
const each = async (work: (s: Samples, host: EditHost) => Promise<void>): Promise<void> => {
  for (const s of samples) await work(s, s.host!);
};

// Cold: a fresh host each time (bundle check, session creation, first inference).
for (let i = 0; i < Math.min(3, repeats); i++) {
  for (const s of samples) {
    const host = await editHost(extraDirs, s.threads);
    s.cold.push(await run(host, base(host)));
    await host.dispose();
  }
}
for (const s of samples) {
  s.host = await editHost(extraDirs, s.threads);
  await run(s.host, base(s.host));
}
// Warm: sessions loaded, output cache cleared, the whole workflow recomputed.
for (let i = 0; i < repeats; i++) {
  await each(async (s, host) => {
    host.executor.cache.clear();
    s.warm.push(await run(host, base(host)));
  });
}
/** Runs `work` and returns it with the longest event-loop stall seen meanwhile (what an HTTP request would wait). */
async function withLoopStall<T>(work: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const value = await work();
  delay.disable();
  return { value, stallMs: delay.max / 1e6 };
}

// Strength-only: only Strength -> Projector -> Denoise -> Decode -> Save re-run.
for (let i = 0; i < repeats; i++) {
  await each(async (s, host) => {
    const { value, stallMs } = await withLoopStall(() => run(host, base(host, { '6.value': (0.31 + 0.05 * i).toFixed(2) })));
    s.strengthOnly.push(value);
    s.loopStall.strengthOnly = Math.max(s.loopStall.strengthOnly, stallMs);
    const last = host.models.timings().lastDenoise!;
    s.stepMs.push(...last.stepMs);
    s.steps = last.steps;
    s.tokens = last.tokens;
  });
}
// A single strength with even change: a new seed is a new edit, so its first run renders the probe.
for (let i = 0; i < repeats; i++) {
  await each(async (s, host) => {
    const edit = { '8.seed': 1000 + i, '8.spacing': 'even change' };
    s.evenSingleFirst.push(await run(host, base(host, { ...edit, '6.value': 0.5 })));
    s.evenSingleLater.push(await run(host, base(host, { ...edit, '6.value': 0.35 })));
  });
}
// A sweep of 8 batched vs 8 sequential single-strength runs (encoders cached in both).
for (let i = 0; i < Math.max(3, Math.floor(repeats / 2)); i++) {
  await each(async (s, host) => {
    const { value, stallMs } = await withLoopStall(() => run(host, sweepPrompt(host, 8, 0.1 + 0.01 * i)));
    s.batched.push(value);
    s.loopStall.sweep = Math.max(s.loopStall.sweep, stallMs);
    s.even.push(await run(host, sweepPrompt(host, 8, 0.1 + 0.01 * i, 'even change')));
    let total = 0;
    for (let k = 0; k < 8; k++) total += (await run(host, base(host, { '6.value': (0.1 + 0.01 * i + k * 0.1).toFixed(3) }))).wallMs;
    s.sequential.push(total);
  });
}
for (const s of samples) await s.host!.dispose();

const outside = (t: Timed[]): number => median(t.map((x) => (x.wallMs - x.onnxMs) / x.wallMs)) * 100;
const results = samples.map((s) => {
  const figures = {
    bundle,
    steps: s.steps,
    tokens: s.tokens,
    cold_ms: median(s.cold.map((t) => t.wallMs)),
    warm_ms: median(s.warm.map((t) => t.wallMs)),
    strength_only_ms: median(s.strengthOnly.map((t) => t.wallMs)),
    strength_only_nodes: s.strengthOnly[0]!.executed.length,
    step_ms: median(s.stepMs),
    outside_onnx_warm_pct: outside(s.warm),
    outside_onnx_strength_only_pct: outside(s.strengthOnly),
    sweep8_batched_ms: median(s.batched.map((t) => t.wallMs)),
    sweep8_sequential_ms: median(s.sequential),
    sweep8_even_ms: median(s.even.map((t) => t.wallMs)),
    even_single_first_ms: median(s.evenSingleFirst.map((t) => t.wallMs)),
    even_single_later_ms: median(s.evenSingleLater.map((t) => t.wallMs)),
    previews_per_strength_only_run: median(s.strengthOnly.map((t) => t.previews)),
    loop_stall_strength_only_ms: s.loopStall.strengthOnly,
    loop_stall_sweep_ms: s.loopStall.sweep,
  };
  console.log(JSON.stringify({ threads: s.setting, ...figures, sweep8_vs_one_run: figures.sweep8_batched_ms / figures.strength_only_ms, sweep8_vs_sequential: figures.sweep8_batched_ms / figures.sweep8_sequential_ms }, null, 2));
  return { setting: s.setting, figures, coldRuns: s.cold.length };
});
const peakRssMb = process.resourceUsage().maxRSS / 1024;

if (write) {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const f = (x: number, d = 0): string => x.toFixed(d);
  const first = results[0]!.figures;
  type Figures = (typeof results)[number]['figures'];
  const label = (setting: string): string => (setting === 'default' ? "threads: onnxruntime's default" : `threads: ${setting}`);
  const row = (name: string, cell: (f: Figures) => string, target = ''): string =>
    `| ${name} | ${results.map((r) => cell(r.figures)).join(' | ')} | ${target} |`;
  const section = `## Edit

\`npm run bench:edit\` (test/bench/edit.ts), ${date} UTC, ${os.cpus().length}-core CPU (${os.cpus()[0]?.model ?? 'unknown'}), no GPU,
onnxruntime-node CPU provider, Node ${process.versions.node}. Bundle \`${bundle}\`${tinyInstalled ? '' : ' (the random-weight fixture: kontext-tiny was not installed)'};
the default workflow (workflows/kontinuous-edit.json: 451x300 sample scaled to the model's size, ${first.steps} steps,
${first.tokens} target tokens); medians of ${repeats} runs (cold: ${results[0]!.coldRuns}) per thread setting, the settings taking turns at every
measurement in one process. The machine is shared with the rest of the team (load average ${os.loadavg()[0]!.toFixed(1)} at the end), so
absolute times wander; ratios within a column are the comparable figures.
"Outside onnxruntime" is wall time minus the onnxruntime time on the run's path (every session run except the
preview decodes, which run beside the denoise loop); it holds the engine, image decode/resize, packing, Euler
steps, the preview hand-off and the PNG write.

| measure | ${results.map((r) => label(r.setting)).join(' | ')} | target |
| --- | ${results.map(() => '---').join(' | ')} | --- |
${row('cold run (fresh runtime: bundle check, sessions, first inference)', (x) => `${f(x.cold_ms)} ms`)}
${row('warm run (sessions loaded, output cache cleared)', (x) => `${f(x.warm_ms)} ms`)}
${row(`strength-only re-run (${first.strength_only_nodes} nodes: Strength, Projector, Denoise, Decode, Save)`, (x) => `${f(x.strength_only_ms)} ms`, '<= 250 ms')}
${row('time per denoise step (batch 1)', (x) => `${f(x.step_ms, 2)} ms`)}
${row('share outside onnxruntime, warm run', (x) => `${f(x.outside_onnx_warm_pct, 1)} %`, '<= 2 %')}
${row('share outside onnxruntime, strength-only re-run', (x) => `${f(x.outside_onnx_strength_only_pct, 1)} %`, '<= 2 %')}
${row('previews sent per strength-only run (made beside the loop, stale ones dropped)', (x) => `${f(x.previews_per_strength_only_run)} of ${x.steps}`)}
${row('sweep of 8, batched', (x) => `${f(x.sweep8_batched_ms)} ms = ${f(x.sweep8_batched_ms / x.strength_only_ms, 2)} x one run`, '<= 4 x one run')}
${row('longest event-loop stall during strength-only runs / batched sweeps (what a request to the server waits)', (x) => `${f(x.loop_stall_strength_only_ms, 1)} / ${f(x.loop_stall_sweep_ms, 1)} ms`)}
${row('sweep of 8 with even change (the sweep, then its 6 inner strengths re-spaced)', (x) => `${f(x.sweep8_even_ms)} ms = ${f(x.sweep8_even_ms / x.sweep8_batched_ms, 2)} x the sweep as given`)}
${row('one strength with even change: first run of an edit (six-strength probe, then the strength) / a strength change after it', (x) => `${f(x.even_single_first_ms)} / ${f(x.even_single_later_ms)} ms`)}
${row('8 sequential single-strength runs', (x) => `${f(x.sweep8_sequential_ms)} ms (batched = ${f(x.sweep8_batched_ms / x.sweep8_sequential_ms, 2)} x)`)}

Peak RSS of the benchmark process: ${f(peakRssMb)} MB.
`;
  const file = flag('benchmarks') ?? path.join(REPO_DIR, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf('\n## Edit\n');
  let next = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
  if (next < 0) next = text.length;
  // Only the generated part is replaced (it ends with the peak RSS line): notes and A/B tables written below it
  // in the section stay.
  const generatedEnd = start < 0 ? -1 : text.indexOf('\nPeak RSS of the benchmark process:', start);
  if (generatedEnd >= 0 && generatedEnd < next) next = text.indexOf('\n', generatedEnd + 1) + 1;
  const updated = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start + 1)}${section}${text.slice(next)}`;
  writeFileSync(file, updated.endsWith('\n') ? updated : `${updated}\n`);
  console.log('wrote BENCHMARKS.md ## Edit');
}
