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

async function measure(name: string, prompt: Prompt, runs = RUNS) {
  const validation: number[] = [];
  const cold: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    const v = await validatePrompt(prompt, registry);
    const tv = performance.now() - t;
    if (!v.ok) throw new Error(`${name}: ${JSON.stringify(v.error)}`);
    const executor = new Executor({ registry, cache: new OutputCache() });
    let events = 0;
    const emit = () => { events++; };
    t = performance.now();
    const first = await executor.execute(v.prompt!, { promptId: `c${r}`, outputs: v.outputs, emit });
    const tc = performance.now() - t;
    if (first.status !== 'success' || first.executed.length !== N) throw new Error(`${name}: ran ${first.executed.length} of ${N}`);
    t = performance.now();
    const second = await executor.execute(v.prompt!, { promptId: `w${r}`, outputs: v.outputs, emit });
    const tw = performance.now() - t;
    if (second.executed.length !== 0) throw new Error(`${name}: cached re-run executed ${second.executed.length} nodes`);
    validation.push(tv);
    cold.push(tc);
    cached.push(tw);
  }
  return { name, validationMs: median(validation), overheadUs: (median(cold) * 1000) / N, coldMs: median(cold), cachedMs: median(cached) };
}

const graphs: Array<[string, Prompt]> = [['chain of 1,000', chain()], ['fan-in of 1,000', fanIn()]];
// Warm-up over both graphs first, so neither is measured while the JIT is still compiling shared code.
for (let w = 0; w < WARMUP; w++) for (const [name, prompt] of graphs) await measure(name, prompt, 1);
const rows = [];
for (const [name, prompt] of graphs) rows.push(await measure(name, prompt));
const ok = (v: number, max: number) => (v <= max ? 'meets' : 'MISSES');
console.log(`Engine benchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, medians of ${RUNS} runs after ${WARMUP} warm-ups, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('');
console.log('| graph | validation (ms) | first run (ms) | overhead per node (us) | fully cached re-run (ms) |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.validationMs.toFixed(2)} (${ok(r.validationMs, 10)} <= 10) | ${r.coldMs.toFixed(2)} | ${r.overheadUs.toFixed(1)} (${ok(r.overheadUs, 20)} <= 20) | ${r.cachedMs.toFixed(2)} (${ok(r.cachedMs, 10)} <= 10) |`);
}
