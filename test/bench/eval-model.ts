// `npm run eval:model`: re-measures kontext-tiny's quality bars (issue 4) through the product. Every held-out pair
// runs as a prompt on the engine with the shipped nodes (Load Image -> Encode Image -> Encode Text -> Strength ->
// Projector -> Kontext Denoise -> Decode -> Save Image), and the saved PNGs are scored by the model tooling's own
// metric code (test/bench/eval_metrics.py), so the figures compare directly with `python -m training.eval`.
// Options: --data training/out/data (regenerate with training/data's generate command), --pairs 240, --bundle,
// --steps, --guidance, --spacing 'even change', --cfg W (Kontext Denoise's guidance against the empty instruction),
// --compare <PyTorch report.json>, --report <file>, --no-write. Results: BENCHMARKS.md "## Edit quality".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import { validatePrompt, type Prompt } from '../../server/engine/index.js';
import { decodeImage, encodePng } from '../../server/media/codec.js';
import { REPO_DIR } from '../../server/config.js';
import { editHost } from '../kontext/edit-host.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const dataDir = path.resolve(flag('data') ?? path.join(REPO_DIR, 'training', 'out', 'data'));
const heldout = path.join(dataDir, 'heldout');
const pairs = Number(flag('pairs') ?? 240);
const bundle = flag('bundle') ?? 'kontext-tiny';
// Kontext Denoise's spacing for the six-strength sweep: 'even change' re-renders it where the image changes in
// equal steps (the bars' KL then measures the product's sweeps, not the model's response to s alone).
const spacing = flag('spacing') ?? 'as given';
// cfg other than 1 runs every Denoise guided away from the empty instruction (its unconnected negative).
const cfg = Number(flag('cfg') ?? 1);
if (!Number.isFinite(cfg)) throw new Error(`--cfg must be a number, got ${flag('cfg')}`);
const guided = cfg !== 1;
const STRENGTHS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const SEED = 64;

if (!existsSync(path.join(heldout, 'metadata.jsonl'))) {
  console.error(`no held-out set at ${heldout}: generate it with\n  /usr/bin/python3 -m training.data.generate --sources training/out/sources --out ${path.relative(REPO_DIR, dataDir)} --size 128 --train 2000 --heldout 300 --seed 0`);
  process.exit(2);
}
interface HeldoutRecord {
  image_name: string;
  category: string;
  edit_instruction: string;
}
const records: HeldoutRecord[] = readFileSync(path.join(heldout, 'metadata.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const count = Math.min(pairs, records.length);

/**
 * Same rule as training/eval/quality.py other_pair: the first pair half the set away with another category, the
 * set being the evaluated pairs (as there), so a subset compares pair by pair too.
 */
function otherPair(i: number): number {
  const n = count;
  for (let off = Math.floor(n / 2); off < Math.floor(n / 2) + n; off++) {
    const j = (i + off) % n;
    if (j !== i && records[j]!.category !== records[i]!.category) return j;
  }
  return (i + 1) % n;
}

function firstFrame(stack: ImageBatch): ImageBatch {
  const size = stack.height;
  const pixels = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) pixels.set(stack.pixels.subarray(y * stack.width * 3, (y * stack.width + size) * 3), y * size * 3);
  return makeImageBatch(1, size, size, pixels);
}

const host = await editHost([], flag('threads') ? { intraOpThreads: Number(flag('threads')) } : {});
const model = await host.models.load(bundle);
const defaults = host.models.defaults(model);
const steps = Number(flag('steps') ?? defaults.steps);
const guidance = Number(flag('guidance') ?? defaults.guidance);
console.log(`eval:model on ${bundle}: ${count} held-out pairs from ${heldout}, ${steps} steps, guidance ${guidance}, spacing '${spacing}', cfg ${cfg}`);

function prompt(i: number, image: string): Prompt {
  const own = records[i]!.edit_instruction;
  const other = records[otherPair(i)]!.edit_instruction;
  const m: [string, number] = ['model', 0];
  const strength = (mode: string, list: string) => ({ class_type: 'KontextStrength', inputs: { mode, value: 1, start: 0, end: 1, count: 6, list } });
  const denoise = (cond: string, mod: string, seed: number, sweepSpacing = 'as given') => ({
    class_type: 'KontextDenoise',
    inputs: {
      model: m, conditioning: [cond, 0], reference: ['ref', 0], modulation: [mod, 0], seed, steps, guidance, spacing: sweepSpacing,
      ...(guided && { cfg }),
    },
  });
  const save = (from: string, name: string) => ({ class_type: 'SaveImage', inputs: { images: [from, 0], filename_prefix: `eval/${i}_${name}` } });
  return {
    image: { class_type: 'LoadImage', inputs: { image } },
    model: { class_type: 'KontextModelLoader', inputs: { bundle } },
    ref: { class_type: 'KontextImageEncode', inputs: { model: m, image: ['image', 0] } },
    recon: { class_type: 'KontextDecode', inputs: { model: m, latent: ['ref', 0] } },
    own_text: { class_type: 'KontextTextEncode', inputs: { model: m, instruction: own } },
    other_text: { class_type: 'KontextTextEncode', inputs: { model: m, instruction: other } },
    sweep_strength: strength('list', STRENGTHS.join(', ')),
    full_strength: strength('single', '1'),
    sweep_mod: { class_type: 'KontextProjector', inputs: { model: m, conditioning: ['own_text', 0], strength: ['sweep_strength', 0] } },
    other_mod: { class_type: 'KontextProjector', inputs: { model: m, conditioning: ['other_text', 0], strength: ['full_strength', 0] } },
    own_mod: { class_type: 'KontextProjector', inputs: { model: m, conditioning: ['own_text', 0], strength: ['full_strength', 0] } },
    sweep: denoise('own_text', 'sweep_mod', SEED + i, spacing),
    other: denoise('other_text', 'other_mod', SEED + i),
    seed: denoise('own_text', 'own_mod', SEED + 100000 + i),
    sweep_img: { class_type: 'KontextDecode', inputs: { model: m, latent: ['sweep', 0] } },
    other_img: { class_type: 'KontextDecode', inputs: { model: m, latent: ['other', 0] } },
    seed_img: { class_type: 'KontextDecode', inputs: { model: m, latent: ['seed', 0] } },
    save_recon: save('recon', 'recon'),
    save_sweep: save('sweep_img', 'sweep'),
    save_other: save('other_img', 'other'),
    save_seed: save('seed_img', 'seed'),
  } as Prompt;
}

const started = performance.now();
const jobs: Array<Record<string, unknown>> = [];
for (let i = 0; i < count; i++) {
  const stack = (await decodeImage(readFileSync(path.join(heldout, records[i]!.image_name)))).image;
  const name = `eval/${String(i).padStart(4, '0')}.png`;
  mkdirSync(path.dirname(host.files.resolve('input', 'eval', 'x.png')), { recursive: true });
  writeFileSync(host.files.resolve('input', 'eval', path.basename(name)), await encodePng(firstFrame(stack), 0));
  const p = prompt(i, name);
  const validation = await validatePrompt(p, host.registry, host.services);
  if (!validation.ok) throw new Error(`pair ${i}: ${JSON.stringify(validation.error ?? validation.node_errors)}`);
  const result = await host.executor.execute((validation as { prompt?: Prompt }).prompt ?? p, { promptId: randomUUID(), outputs: validation.outputs });
  if (result.status !== 'success') throw new Error(`pair ${i}: ${JSON.stringify(result.failures)}`);
  const files = (node: string): string[] => (result.outputs[node]?.images ?? []).map((im) => host.files.resolve(im.type, im.subfolder, im.filename));
  // Validation drops an output whose inputs fail (and runs the rest): say so here, not in the metrics' stack trace.
  const missing = ['save_sweep', 'save_recon', 'save_other', 'save_seed'].filter((node) => files(node).length === 0);
  if (missing.length > 0) throw new Error(`pair ${i}: ${missing.join(', ')} wrote no image: ${JSON.stringify(validation.node_errors ?? {})}`);
  jobs.push({ index: i, other: otherPair(i), sweep: files('save_sweep'), recon: files('save_recon')[0], other_out: files('save_other')[0], seed_out: files('save_seed')[0] });
  if ((i + 1) % 20 === 0 || i + 1 === count) console.log(`  ${i + 1}/${count} pairs, ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
const seconds = (performance.now() - started) / 1000;
const jobsFile = path.join(host.dataDir, 'eval-jobs.json');
const reportFile = path.join(host.dataDir, 'eval-report.json');
writeFileSync(jobsFile, JSON.stringify({ bundle, steps, guidance, seconds: Math.round(seconds), pairs: jobs }));
const metrics = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'eval_metrics.py'), '--heldout', heldout, '--jobs', jobsFile, '--out', reportFile], { stdio: ['ignore', 'inherit', 'inherit'] });
if (metrics.status !== 0) {
  console.error('the metric step failed (it needs /usr/bin/python3 with numpy and Pillow)');
  process.exit(1);
}
const report = JSON.parse(readFileSync(reportFile, 'utf8'));
const keep = flag('report');
if (keep) writeFileSync(keep, JSON.stringify(report, null, 1));
const compare = flag('compare') ? JSON.parse(readFileSync(flag('compare')!, 'utf8')) : null;
await host.dispose();

// Both sides draw the same seeded noise, so each pair the PyTorch report also holds should agree, not only the
// averages: the largest difference per figure over the shared pairs.
const PAIR_KEYS = ['psnr_s0', 'psnr_s1', 'kl', 'monotone', 'nearer_target', 'instr_differs'];
let pairAgreement = '';
if (compare?.rows) {
  const theirs = new Map((compare.rows as Array<Record<string, number | string>>).map((r) => [r.image_name, r]));
  const shared = (report.rows as Array<Record<string, number | string>>).filter((r) => theirs.has(r.image_name));
  const worst = PAIR_KEYS.map((k) => [k, Math.max(0, ...shared.map((r) => Math.abs((r[k] as number) - (theirs.get(r.image_name)![k] as number))))] as const);
  pairAgreement = `On the ${shared.length} pairs both evaluated, the largest difference per pair: ${worst.map(([k, d]) => `${k} ${d.toPrecision(2)}`).join(', ')}.`;
  console.log(pairAgreement);
}

// "Edit quality" holds the model's own sweeps (as given, no cfg); other settings are reported by hand (see
// "Even change spacing", "Guidance").
const asShipped = spacing === 'as given' && !guided;
if (!asShipped && !args.includes('--no-write')) console.log(`spacing '${spacing}', cfg ${cfg}: BENCHMARKS.md is left as it is (use --report to keep the figures)`);
if (!args.includes('--no-write') && asShipped) {
  const fmt = (key: string, v: number | null | undefined): string =>
    v === null || v === undefined ? '-' : ['nearer_target', 'edit_share', 'monotone', 'instr_differs'].includes(key) ? `${(v * 100).toFixed(0)} %` : v.toFixed(key.endsWith('kl') ? 3 : 2);
  const bars = Object.entries(report.bars as Record<string, { value: number; bar: string; met: boolean }>);
  const cols = ['psnr_s0', 'vae_psnr', 'psnr_s1', 'nearer_target', 'edit_share', 'monotone', 'kl', 'gt_kl', 'instr_differs'];
  const perCategory = Object.entries(report.per_category as Record<string, Record<string, number>>).map(
    ([cat, row]) => `| ${cat} | ${row.n} | ${cols.map((k) => fmt(k, row[k])).join(' | ')} |`,
  );
  const section = `## Edit quality

\`npm run eval:model\` (test/bench/eval-model.ts + eval_metrics.py), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC,
${os.cpus().length}-core CPU, onnxruntime-node CPU provider. Bundle \`${bundle}\`, ${report.pairs} held-out pairs (${path.relative(REPO_DIR, heldout)}),
strengths ${STRENGTHS.join(', ')} (Kontext Denoise spacing: ${spacing}), ${steps} steps, guidance ${guidance}, seed 64 + pair index, generated through the engine and
the shipped nodes (PNG outputs), scored by training/eval/quality.py's own code (MS-SSIM-C as the perceptual
distance). ${jobs.length} pairs took ${seconds.toFixed(0)} s. The PyTorch evaluation draws the same seeded noise
(training/kontext/noise.py), so single pairs agree too.${compare ? ` PyTorch column: ${path.relative(REPO_DIR, path.resolve(flag('compare')!))} (\`python -m training.eval\`). ${pairAgreement}` : ''}

| bar | through the product | target | met${compare ? ' | PyTorch (same pairs)' : ''} |
| --- | --- | --- | ---${compare ? ' | ---' : ''} |
${bars.map(([key, b]) => `| ${key} | ${fmt(key, b.value)} | ${b.bar} | ${b.met ? 'yes' : 'NO'}${compare ? ` | ${fmt(key, compare.bars?.[key]?.value)}` : ''} |`).join('\n')}
| vae_psnr (ceiling for psnr_s0) | ${fmt('vae_psnr', report.per_category.all.vae_psnr)} | | |${compare ? ` ${fmt('vae_psnr', compare.per_category?.all?.vae_psnr)} |` : ''}

| category | n | s0 PSNR | VAE PSNR | s1 PSNR | nearer target | edit made at s = 1 | monotone | KL | ground-truth KL | instruction differs |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${perCategory.join('\n')}
`;
  const file = flag('benchmarks') ?? path.join(REPO_DIR, 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('\n## Edit quality\n');
  let next = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
  if (next < 0) next = text.length;
  writeFileSync(file, start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start + 1)}${section}${text.slice(next)}`);
  console.log('wrote BENCHMARKS.md ## Edit quality');
}
