// `npm run bench:first-edit`: how long the first edit takes after the server starts, with the default bundle
// loaded at start (`--preload`, the default) and without (`KONTINUOUS_PRELOAD=none`). Each run starts the server
// as `npm start` does, through the browser tests' harness (fresh data dir, free port), and waits for its log to
// say the models are ready (the preload's line, or the onnxruntime thread's without it). Then it POSTs the
// default workflow's API prompt and polls /history until it completes; then a strength-only prompt and one with
// a new instruction. The two settings take turns; --runs N (default 3) starts N servers each. Prints the times
// and their medians.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_DIR } from '../../server/config.js';
import { loadInput } from '../../server/cli/load-input.js';
import type { Prompt } from '../../server/engine/index.js';
import { startProductServer, type ProductServer } from '../e2e/harness.js';
import { editHost } from '../kontext/edit-host.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 3) || 3;

const host = await editHost([], {});
const { prompt } = loadInput(path.join(REPO_DIR, 'workflows', 'kontinuous-edit.json'), host.registry);
await host.dispose();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The server as `npm start` runs it; resolves once its log says the models are ready. */
async function startServer(preload: boolean): Promise<ProductServer> {
  const server = await startProductServer({ env: { KONTINUOUS_PRELOAD: preload ? '' : 'none' } });
  const ready = preload ? /Model bundle '\S+' loaded in/ : /onnxruntime thread ready/;
  while (!ready.test(server.log.join(''))) await new Promise((resolve) => setTimeout(resolve, 5));
  return server;
}

async function timePrompt(url: string, body: Prompt): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: body }) });
  const answer = (await res.json()) as { prompt_id?: string };
  if (!res.ok || !answer.prompt_id) throw new Error(`POST /prompt answered ${res.status}: ${JSON.stringify(answer)}`);
  for (;;) {
    const history = (await (await fetch(`${url}/history/${answer.prompt_id}`)).json()) as Record<string, { status?: { completed?: boolean; status_str?: string } }>;
    const status = history[answer.prompt_id]?.status;
    if (status?.status_str === 'error') throw new Error(`the prompt failed: ${JSON.stringify(history)}`);
    if (status?.completed) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const edit = (sets: Record<string, Record<string, unknown>>): Prompt => {
  const copy = structuredClone(prompt) as Prompt;
  for (const [id, inputs] of Object.entries(sets)) Object.assign(copy[id]!.inputs, inputs);
  return copy;
};
const results: Record<string, { first: number[]; strength: number[]; instruction: number[] }> = {
  'preload (default)': { first: [], strength: [], instruction: [] },
  '--preload none': { first: [], strength: [], instruction: [] },
};
for (let run = 0; run < runs; run++) {
  for (const [name, r] of Object.entries(results)) {
    const server = await startServer(name !== '--preload none');
    r.first.push(await timePrompt(server.url, prompt));
    r.strength.push(await timePrompt(server.url, edit({ 6: { value: 0.61 } })));
    r.instruction.push(await timePrompt(server.url, edit({ 5: { instruction: 'make it snowy' } })));
    await server.stop();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
}
const ms = (values: number[]) => `${values.map((v) => v.toFixed(0)).join(', ')} (median ${median(values).toFixed(0)}) ms`;
console.log(`bench:first-edit, ${new Date().toISOString()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0]!.toFixed(1)}`);
console.log('| server started with | first prompt | strength-only prompt after it | new instruction after that |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${ms(r.first)} | ${ms(r.strength)} | ${ms(r.instruction)} |`);
