// Compares two exports of one ONNX component under onnxruntime-node with the runtime's session options
// (graph optimisation 'all', sequential, spinning stopped after a run): ms per run at each batch size,
// alternating between the files round by round (medians), and kernels per run from an onnxruntime profile.
//
//   npm run bench:graph -- BEFORE.onnx AFTER.onnx [--batches 1,8] [--rounds 7] [--runs 10] [--threads N]
//
// Inputs are a kontext-tiny transformer step (64 target + 64 reference tokens, 32 text tokens, random
// values); widths are read from the model's input shapes, so a bundle of another size works too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const files = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
if (files.length !== 2) {
  console.error('usage: npm run bench:graph -- BEFORE.onnx AFTER.onnx [--batches 1,8] [--rounds 7] [--runs 10] [--threads N]');
  process.exit(2);
}
const batches = option('batches', '1,8').split(',').map(Number);
const rounds = Number(option('rounds', '7'));
const runsPerRound = Number(option('runs', '10'));
const threads = option('threads', undefined);   // intra-op threads; onnxruntime's default when absent
const GRID = 8;        // packed target grid (128 x 128 pixels); the reference grid is the same size
const TEXT = 32;

const sessionOptions = (extra = {}) => ({
  graphOptimizationLevel: 'all', executionMode: 'sequential', logSeverityLevel: 3,
  extra: { session: { force_spinning_stop: '1' } }, ...(threads ? { intraOpNumThreads: Number(threads) } : {}), ...extra,
});

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function width(session, name) {
  const meta = session.inputMetadata?.find?.((m) => m.name === name);
  const dims = meta?.shape ?? [];
  const last = dims[dims.length - 1];
  if (typeof last !== 'number') throw new Error(`${name}: no static last axis in the model's input metadata`);
  return last;
}

function feeds(session, batch) {
  const random = seeded(batch);
  const tensor = (dims) => new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, random), dims);
  const n = 2 * GRID * GRID;
  const imgIds = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    imgIds.set([i < GRID * GRID ? 0 : 1, Math.floor((i % (GRID * GRID)) / GRID), i % GRID], i * 3);
  }
  const all = {
    hidden_states: tensor([batch, n, width(session, 'hidden_states')]),
    encoder_hidden_states: tensor([batch, TEXT, width(session, 'encoder_hidden_states')]),
    pooled_projections: tensor([batch, width(session, 'pooled_projections')]),
    timestep: new ort.Tensor('float32', new Float32Array(batch).fill(0.5), [batch]),
    guidance: new ort.Tensor('float32', new Float32Array(batch).fill(2.5), [batch]),
    img_ids: new ort.Tensor('float32', imgIds, [n, 3]),
    txt_ids: new ort.Tensor('float32', new Float32Array(TEXT * 3), [TEXT, 3]),
    lora_scale: new ort.Tensor('float32', new Float32Array([1]), [1]),
  };
  if (session.inputNames.includes('modulation')) all.modulation = tensor([batch, width(session, 'modulation')]);
  return Object.fromEntries(session.inputNames.map((name) => [name, all[name]]));
}

async function kernelsPerRun(file, batch) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-graph-'));
  const session = await ort.InferenceSession.create(file, sessionOptions({ enableProfiling: true, profileFilePrefix: path.join(dir, 'p') }));
  const input = feeds(session, batch);
  const runs = 3;
  for (let i = 0; i < runs; i++) await session.run(input);
  session.endProfiling();
  const profile = fs.readdirSync(dir).map((f) => path.join(dir, f))[0];
  const events = JSON.parse(fs.readFileSync(profile, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  await session.release();
  return events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time')).length / runs;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const sessions = [];
for (const file of files) sessions.push(await ort.InferenceSession.create(file, sessionOptions()));
const result = { files, rounds, runs_per_round: runsPerRound, intra_op_threads: threads ? Number(threads) : 'default', batches: {} };
for (const batch of batches) {
  const inputs = sessions.map((s) => feeds(s, batch));
  for (let k = 0; k < 2; k++) for (let i = 0; i < 3; i++) await sessions[k].run(inputs[k]);   // warm-up
  const times = [[], []];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [1, 0] : [0, 1];
    for (const k of order) {
      const t0 = performance.now();
      for (let i = 0; i < runsPerRound; i++) await sessions[k].run(inputs[k]);
      times[k].push((performance.now() - t0) / runsPerRound);
    }
  }
  const ms = times.map(median);
  result.batches[batch] = { ms_per_run: ms.map((m) => Number(m.toFixed(2))), speedup: Number((ms[0] / ms[1]).toFixed(3)),
    all_ms: times.map((t) => t.map((m) => Number(m.toFixed(2)))) };
}
result.kernels_per_run = [await kernelsPerRun(files[0], 1), await kernelsPerRun(files[1], 1)];
console.log(JSON.stringify(result, null, 1));
