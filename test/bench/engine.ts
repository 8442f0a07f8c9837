// Engine benchmark: a 1,000-node chain and a 1,000-node fan-in of trivial nodes. Measures validation time,
// engine overhead per executed node (fresh cache, trivial node bodies), and a fully cached re-run.
// Run: npm run bench:engine  (prints a Markdown table; medians over RUNS runs after a warm-up).
import os from 'node:os';
import { defineNode, Executor, NodeRegistry, OutputCache, validatePrompt, type Prompt } from '../../server/engine/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 11);
// A server validates and runs many prompts: measure the steady state after the JIT has seen the code.
const WARMUP = 10;
const N = 1000;

const fanInputs: Record<string, { type: string }> = {};
for (let i = 0; i < N - 1; i++) fanInputs[`in${i}`] = { type: 'NUM' };

const registry = new NodeRegistry([
  defineNode({
    id: 'Const', displayName: 'Const', category: 'bench', description: '',
    inputs: { required: { value: { type: 'INT', default: 0, min: 0, max: 1_000_000 } } },
    outputs: [{ type: 'NUM', name: 'n' }],
    run: (_ctx, i) => ({ outputs: [i.value] }),
  }),
  defineNode({
    id: 'Inc', displayName: 'Inc', category: 'bench', description: '',
    inputs: { required: { x: { type: 'NUM' }, by: { type: 'FLOAT', default: 1, min: -10, max: 10 } } },
    outputs: [{ type: 'NUM', name: 'n' }],
    run: (_ctx, i) => ({ outputs: [(i.x as number) + (i.by as number)] }),
  }),
  defineNode({
    id: 'Out', displayName: 'Out', category: 'bench', description: '', outputNode: true,
    inputs: { required: { x: { type: 'NUM' } } },
    outputs: [],
    run: (_ctx, i) => ({ outputs: [], ui: { text: [String(i.x)] } }),
  }),
  defineNode({
    id: 'Gather', displayName: 'Gather', category: 'bench', description: '', outputNode: true,
    inputs: { required: {}, optional: fanInputs },
    outputs: [],
    run: (_ctx, i) => ({ outputs: [], ui: { text: [String(Object.values(i).reduce((a: number, b) => a + (b as number), 0))] } }),
  }),
]);

function chain(): Prompt {
  const p: Prompt = { '0': { class_type: 'Const', inputs: { value: 1 } } };
  for (let i = 1; i < N - 1; i++) p[String(i)] = { class_type: 'Inc', inputs: { x: [String(i - 1), 0], by: 1 } };
  p[String(N - 1)] = { class_type: 'Out', inputs: { x: [String(N - 2), 0] } };
  return p;
}

function fanIn(): Prompt {
  const p: Prompt = {};
  const inputs: Record<string, unknown> = {};
  for (let i = 0; i < N - 1; i++) {
    p[String(i)] = { class_type: 'Const', inputs: { value: i } };
    inputs[`in${i}`] = [String(i), 0];
  }
  p[String(N - 1)] = { class_type: 'Gather', inputs };
  return p;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** Wall-clock and CPU milliseconds of one awaited call: CPU time stays meaningful when other processes load the cores. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

type Series = { wall: number[]; cpu: number[] };
const series = (): Series => ({ wall: [], cpu: [] });
const push = (s: Series, t: { wall: number; cpu: number }) => { s.wall.push(t.wall); s.cpu.push(t.cpu); };
const med = (s: Series) => ({ wall: median(s.wall), cpu: median(s.cpu) });

async function measure(name: string, prompt: Prompt, runs = RUNS) {
  const validation = series();
  const cold = series();
  const cached = series();
  for (let r = 0; r < runs; r++) {
    const v = await timed(() => validatePrompt(prompt, registry));
    if (!v.value.ok) throw new Error(`${name}: ${JSON.stringify(v.value.error)}`);
    const valid = v.value;
    const executor = new Executor({ registry, cache: new OutputCache() });
    let events = 0;
    const emit = () => { events++; };
    const first = await timed(() => executor.execute(valid.prompt!, { promptId: `c${r}`, outputs: valid.outputs, emit }));
    if (first.value.status !== 'success' || first.value.executed.length !== N) throw new Error(`${name}: ran ${first.value.executed.length} of ${N}`);
    const second = await timed(() => executor.execute(valid.prompt!, { promptId: `w${r}`, outputs: valid.outputs, emit }));
    if (second.value.executed.length !== 0) throw new Error(`${name}: cached re-run executed ${second.value.executed.length} nodes`);
    push(validation, v);
    push(cold, first);
    push(cached, second);
  }
  return { name, validation: med(validation), cold: med(cold), cached: med(cached) };
}

const graphs: Array<[string, Prompt]> = [['chain of 1,000', chain()], ['fan-in of 1,000', fanIn()]];
// Warm-up over both graphs first, so neither is measured while the JIT is still compiling shared code.
for (let w = 0; w < WARMUP; w++) for (const [name, prompt] of graphs) await measure(name, prompt, 1);
const rows = [];
for (const [name, prompt] of graphs) rows.push(await measure(name, prompt));
const mark = (v: number, max: number) => (v <= max ? '' : ' (over target)');
const cell = (t: { wall: number; cpu: number }, max: number, scale = 1, digits = 2) =>
  `${(t.wall * scale).toFixed(digits)}${mark(t.wall * scale, max)} / ${(t.cpu * scale).toFixed(digits)}${mark(t.cpu * scale, max)}`;
console.log(`Engine benchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, medians of ${RUNS} runs after ${WARMUP} warm-ups, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('Each cell: wall-clock / CPU time. Targets: validation <= 10 ms, overhead <= 20 us per node, cached re-run <= 10 ms.');
console.log('');
console.log('| graph | validation (ms) | first run (ms) | overhead per executed node (us) | fully cached re-run (ms) |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${cell(r.validation, 10)} | ${cell(r.cold, Infinity)} | ${cell(r.cold, 20, 1000 / N, 1)} | ${cell(r.cached, 10)} |`);
}
