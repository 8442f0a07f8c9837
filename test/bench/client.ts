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
  ];
  console.log(lines.join('\n'));
}

await main();
