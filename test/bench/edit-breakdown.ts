// `npm run bench:edit -- --breakdown [warm] [--repeats N]`: where a strength-only run's (or, with `warm`, a whole
// run's: output cache cleared before each) time outside onnxruntime goes, node by node. Each run's nodes are
// timed from the engine's `executing` events; the Kontext nodes' onnxruntime time comes from the pipeline's
// timings. Prints medians over the runs (the first 5 are dropped as warm-up).
import { randomUUID } from 'node:crypto';
import { validatePrompt, type Prompt } from '../../server/engine/index.js';
import type { EditHost } from '../kontext/edit-host.js';
import type { Operation } from '../../server/runtime/kontext-pipeline.js';

const OPERATION_OF: Record<string, Operation> = {
  KontextTextEncode: 'encodeText',
  KontextImageEncode: 'encodeImage',
  KontextProjector: 'project',
  KontextDenoise: 'denoise',
  KontextDecode: 'decode',
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs `runs` runs at strength `0.2 + 0.013 i` and prints the per-node table: strength-only re-runs, or whole
 * runs when `warm` (the output cache cleared before each, sessions kept).
 */
export async function printBreakdown(host: EditHost, promptAt: (strength: number) => Prompt, runs: number, warm = false): Promise<void> {
  const rows = new Map<string, { wall: number[]; onnx: number[] }>();
  const totals = { wall: [] as number[], onnx: [] as number[] };
  const row = (name: string) => rows.get(name) ?? rows.set(name, { wall: [], onnx: [] }).get(name)!;
  for (let i = 0; i < runs + 5; i++) {
    const prompt = promptAt(0.2 + 0.013 * (i % 50));
    const validation = await validatePrompt(prompt, host.registry, host.services);
    if (!validation.ok) throw new Error(`invalid prompt: ${JSON.stringify(validation.error ?? validation.node_errors)}`);
    if (warm) host.executor.cache.clear();
    host.models.resetTimings();
    const walls = new Map<string, number>();
    let current = '(engine, before the first node)';
    let since = performance.now();
    const started = since;
    const result = await host.executor.execute(validation.prompt ?? prompt, {
      promptId: randomUUID(),
      outputs: validation.outputs,
      emit: (event) => {
        if (event.type !== 'executing' && event.type !== 'execution_success') return;
        const now = performance.now();
        walls.set(current, (walls.get(current) ?? 0) + now - since);
        since = now;
        current = event.type === 'executing' && event.data.node ? `${event.data.node} ${prompt[event.data.node]!.class_type}` : '(engine, after the last node)';
      },
    });
    if (result.status !== 'success') throw new Error(`run failed: ${JSON.stringify(result.failures)}`);
    const wall = performance.now() - started;
    if (i < 5) continue;
    const timings = host.models.timings();
    for (const [name, ms] of walls) {
      const operation = OPERATION_OF[name.split(' ')[1] ?? ''];
      row(name).wall.push(ms);
      row(name).onnx.push(operation ? timings.operations[operation].onnxMs : 0);
    }
    totals.wall.push(wall);
    totals.onnx.push(timings.onnxTotalMs - timings.operations.previewDecode.onnxMs);
  }
  console.log(`${warm ? 'warm runs (output cache cleared)' : 'strength-only runs'}: ${runs} (medians, ms)`);
  console.log('| part | wall | in onnxruntime | outside |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, r] of rows) {
    const outside = r.wall.map((w, k) => w - r.onnx[k]!);
    console.log(`| ${name} | ${median(r.wall).toFixed(2)} | ${median(r.onnx).toFixed(2)} | ${median(outside).toFixed(2)} |`);
  }
  const outside = totals.wall.map((w, k) => w - totals.onnx[k]!);
  console.log(`| whole run | ${median(totals.wall).toFixed(2)} | ${median(totals.onnx).toFixed(2)} | ${median(outside).toFixed(2)} (${(median(outside.map((o, k) => o / totals.wall[k]!)) * 100).toFixed(1)} %) |`);
}
