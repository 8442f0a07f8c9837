// `npm run bench:client`: the editor's bundle size (raw and gzip, and by package) and the time from page load to
// an interactive canvas on loopback, in headless chromium against the real server (server/main.ts). Cold: a fresh
// browser context per run (empty cache, no saved tabs); warm: a reload in the same context. Medians of RUNS runs.
// Prints a Markdown section to paste into BENCHMARKS.md under "## Client".
import fs from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildClient } from '../../client/build.js';
import { CHROMIUM, REPO, startProductServer } from '../e2e/harness.js';

const RUNS = Number(process.env.RUNS ?? 9);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const byPackage: Record<string, number> = {};
  const started = performance.now();
  const sizes = await buildClient({ byPackage });
  const buildMs = performance.now() - started;
  const js = fs.readFileSync(path.join(REPO, 'client', 'dist', 'main.js'));
  const jsGzip = gzipSync(js, { level: 9 }).length;

  const server = await startProductServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const cold: Array<{ ready: number; interactive: number; dcl: number }> = [];
  const warm: Array<{ ready: number; interactive: number }> = [];
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext({ viewport: { width: 1500, height: 900 } });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => window.kontinuous?.interactiveAt !== undefined, undefined, { timeout: 60_000 });
      const first = await page.evaluate(() => ({
        ready: window.kontinuous.readyAt as number,
        interactive: window.kontinuous.interactiveAt as number,
        dcl: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
      }));
      await page.reload();
      await page.waitForFunction(() => window.kontinuous?.interactiveAt !== undefined, undefined, { timeout: 60_000 });
      const again = await page.evaluate(() => ({ ready: window.kontinuous.readyAt as number, interactive: window.kontinuous.interactiveAt as number }));
      await context.close();
      if (i === 0) continue; // the first round warms the server's JIT and the browser process
      cold.push(first);
      warm.push(again);
    }
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }

  const live = await measureLiveStrength(Math.max(5, Math.min(RUNS, 9)));

  const load = os.loadavg()[0]!.toFixed(1);
  const lines = [
    '## Client',
    '',
    `Command: \`npm run bench:client\` (test/bench/client.ts). Machine: the development machine (2 shared CPU cores, no GPU,`,
    `Node ${process.versions.node}, Debian's chromium headless with --disable-gpu), ${new Date().toISOString().slice(0, 10)}, load average ${load} at the end.`,
    `Page load to interactive canvas on loopback against \`server/main.ts\`: "ready" is when node classes from /object_info`,
    'are registered and the default workflow is on the graph; "interactive" is two animation frames later (the workflow',
    `drawn, the canvas taking input). Cold = a fresh browser context (empty cache, no saved tabs); warm = a reload in the`,
    `same context. Medians of ${RUNS} runs after one warm-up round.`,
    '',
    '| bundle file | raw | gzip -9 |',
    '|---|---|---|',
    ...sizes.map((s) => `| ${s.file} | ${kib(s.bytes)} | ${kib(s.gzip)} |`),
    `| **all** | ${kib(sizes.reduce((a, s) => a + s.bytes, 0))} | **${kib(sizes.reduce((a, s) => a + s.gzip, 0))}** |`,
    '',
    `main.js by origin (minified bytes before gzip): ${Object.entries(byPackage).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${kib(v)} (${((100 * v) / js.length).toFixed(0)}%)`).join(', ')}. main.js gzip alone: ${kib(jsGzip)}. Build (esbuild, minify, sourcemap): ${buildMs.toFixed(0)} ms.`,
    '',
    '| page load | DOMContentLoaded (ms) | ready (ms) | interactive canvas (ms) |',
    '|---|---|---|---|',
    `| cold | ${median(cold.map((c) => c.dcl)).toFixed(0)} | ${median(cold.map((c) => c.ready)).toFixed(0)} | ${median(cold.map((c) => c.interactive)).toFixed(0)} |`,
    `| warm (reload) | - | ${median(warm.map((c) => c.ready)).toFixed(0)} | ${median(warm.map((c) => c.interactive)).toFixed(0)} |`,
    '',
    `Spread (cold interactive): ${Math.min(...cold.map((c) => c.interactive)).toFixed(0)}-${Math.max(...cold.map((c) => c.interactive)).toFixed(0)} ms.`,
    '',
    `Live strength on ${live.bundle} (default workflow, ${live.steps} steps, ${live.size}): from a Strength value change in the page to`,
    'the new edit loaded in Save Image, with live mode on and the encodings cached (a strength-only re-run: Projector,',
    `Denoise, Decode, Save). Median ${live.median.toFixed(0)} ms over ${live.samples.length} changes (spread ${Math.min(...live.samples).toFixed(0)}-${Math.max(...live.samples).toFixed(0)} ms); the`,
    `first, cold run of the workflow took ${live.cold.toFixed(0)} ms. The server's own run (execution_start to execution_success in`,
    `history) took a median ${live.server.toFixed(0)} ms of that; the rest is the page (throttle 80 ms, prompt build, POST, events, image load).`,
  ];
  console.log(lines.join('\n'));
}

/** Times live strength changes in the page on the real model (kontext-tiny when installed, else the fixture). */
async function measureLiveStrength(samples: number): Promise<{ bundle: string; steps: number; size: string; median: number; samples: number[]; cold: number; server: number }> {
  const server = await startProductServer({ env: { KONTINUOUS_MODEL_DIRS: path.join(REPO, 'test', 'fixtures', 'bundles') } });
  const loader = (await (await fetch(`${server.url}/object_info/KontextModelLoader`)).json()) as { KontextModelLoader: { input: { required: { bundle: [string[]] } } } };
  const bundle = loader.KontextModelLoader.input.required.bundle[0].includes('kontext-tiny') ? 'kontext-tiny' : 'kontext-fixture';
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1500, height: 900 } })).newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.kontinuous?.ready === true);
    // The shipped default workflow as the page opens it (the server seeded its sample image).
    const saveId = await page.evaluate((bundle) => {
      const { app, graph } = window.kontinuous;
      if (bundle !== 'kontext-tiny') app.setWidget(2, 'bundle', bundle);
      return graph.nodes.find((n: { type: string }) => n.type === 'SaveImage').id;
    }, bundle);
    const waitForNew = (before: string | undefined) =>
      page.waitForFunction(({ id, before }) => {
        const view = window.kontinuous.app.nodeView(id);
        const img = view.imageElements[0];
        return view.images[0]?.filename !== before && img?.complete && img.naturalWidth > 0;
      }, { id: saveId, before }, { timeout: 120_000, polling: 'raf' });
    const start = performance.now();
    await page.evaluate(() => window.kontinuous.app.queue());
    await waitForNew(undefined);
    const cold = performance.now() - start;
    await page.evaluate(() => window.kontinuous.app.setLive(true));
    const times: number[] = [];
    const serverTimes: number[] = [];
    for (let i = 0; i < samples; i++) {
      const before = await page.evaluate((id) => window.kontinuous.app.nodeView(id).images[0].filename, saveId);
      const value = Number((0.1 + (0.8 * ((i * 7) % samples)) / samples).toFixed(2));
      const t0 = performance.now();
      await page.evaluate((v) => window.kontinuous.app.setWidget(6, 'value', v), value);
      await waitForNew(before);
      times.push(performance.now() - t0);
      await page.waitForFunction(() => window.kontinuous.app.tracker.queueRemaining === 0);
      const history = (await (await fetch(`${server.url}/history?max_items=1`)).json()) as Record<string, { status: { messages: Array<[string, { timestamp?: number }]> } }>;
      const messages = Object.values(history)[0]!.status.messages;
      const at = (type: string) => messages.find(([t]) => t === type)?.[1].timestamp;
      const started = at('execution_start');
      const ended = at('execution_success');
      if (started !== undefined && ended !== undefined) serverTimes.push(ended - started);
    }
    const info = await page.evaluate((id) => {
      const img = window.kontinuous.app.nodeView(id).imageElements[0];
      return { size: `${img.naturalWidth}x${img.naturalHeight}`, steps: window.kontinuous.graph.getNodeById(8).widgets.find((w: { name: string }) => w.name === 'steps').value };
    }, saveId);
    return { bundle, steps: info.steps, size: info.size, median: median(times), samples: times, cold, server: serverTimes.length ? median(serverTimes) : NaN };
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
}

await main();
