// `npm run bench:server`: loopback load on the real server process (npm start's entry, with the stub nodes).
// Phase A (x3, medians): 1,000 prompts of a small graph from 20 concurrent HTTP clients while the queue drains,
// with 50 socket.io clients connected and GET /object_info probed throughout. Reports accepted prompts/s,
// p50/p99 of POST /prompt and GET /object_info, and events lost (each prompt's execution_success and final
// `executing null` must reach its submitting socket.io client). Phase B: RSS before/after a 10,000-prompt soak.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as ioClient, type Socket } from 'socket.io-client';
import { serverNodeArgs } from '../start-command.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENTS = 20;
const SOCKETS = 50;
const PROMPTS = Number(process.env.BENCH_PROMPTS ?? 1000);
const SOAK = Number(process.env.BENCH_SOAK ?? 10000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Extra server flags; by default an 8 MiB output cache, so the soak measures leaks rather than a filling cache. */
const SERVER_ARGS = (process.env.BENCH_SERVER_ARGS ?? '--cache-mb 8').split(' ').filter(Boolean);

function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  // npm start's node flags, then BENCH_NODE_ARGS (later V8 flags win, so experiments can override), then the entry.
  const startArgs = serverNodeArgs();
  const startFlags = startArgs.slice(0, -1);
  const entry = startArgs.at(-1)!;
  const child = spawn(process.execPath, [...startFlags, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), entry, '--port', '0', '--data-dir', dataDir, ...SERVER_ARGS], {
    cwd: REPO,
    env: { ...process.env, KONTINUOUS_TEST_NODES: '1', ...(process.env.BENCH_ARENAS && { MALLOC_ARENA_MAX: process.env.BENCH_ARENAS }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+?)\/?\s/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** CPU seconds (user + system) the process has used, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);

let counter = 0;
function prompt(): Record<string, unknown> {
  // A distinct colour per prompt, so every prompt really executes instead of coming from the cache.
  const n = counter++;
  return {
    '1': { class_type: 'TestSolid', inputs: { width: 8, height: 8, red: (n % 1000) / 1000, green: Math.floor(n / 1000) / 1000, blue: 0.5, batch_size: 1 } },
    '2': { class_type: 'TestInvert', inputs: { images: ['1', 0] } },
    '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
  };
}

interface Tracker {
  sockets: Socket[];
  finished: Map<string, Set<string>>; // prompt id -> which end events arrived
}

async function connectSockets(url: string): Promise<Tracker> {
  const tracker: Tracker = { sockets: [], finished: new Map() };
  const mark = (id: string, what: string): void => {
    let set = tracker.finished.get(id);
    if (!set) tracker.finished.set(id, (set = new Set()));
    set.add(what);
  };
  await Promise.all(
    Array.from({ length: SOCKETS }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const socket = ioClient(url, { transports: ['websocket'], auth: { clientId: `bench-${i}` }, reconnection: false, forceNew: true });
        socket.on('execution_success', (d: { prompt_id: string }) => mark(d.prompt_id, 'success'));
        socket.on('executing', (d: { node: string | null; prompt_id: string }) => d.node === null && mark(d.prompt_id, 'end'));
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
        tracker.sockets.push(socket);
      }),
    ),
  );
  return tracker;
}

async function queueRemaining(url: string): Promise<number> {
  const res = await fetch(`${url}/prompt`);
  return ((await res.json()) as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining;
}

async function drain(url: string): Promise<void> {
  while ((await queueRemaining(url)) > 0) await new Promise((r) => setTimeout(r, 50));
}

/** Submits `total` prompts from CLIENTS concurrent loops; returns ids, latencies and the wall time. */
async function load(url: string, total: number, probe: boolean): Promise<{ ids: string[]; postMs: number[]; infoMs: number[]; seconds: number }> {
  const ids: string[] = [];
  const postMs: number[] = [];
  const infoMs: number[] = [];
  let next = 0;
  let done = false;
  const probeLoop = (async () => {
    while (probe && !done) {
      const t0 = performance.now();
      const res = await fetch(`${url}/object_info`);
      await res.arrayBuffer();
      infoMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < total) {
        const i = next++;
        const body = JSON.stringify({ prompt: prompt(), client_id: `bench-${i % SOCKETS}` });
        const t0 = performance.now();
        const res = await fetch(`${url}/prompt`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
        const json = (await res.json()) as { prompt_id?: string };
        postMs.push(performance.now() - t0);
        if (res.status !== 200 || !json.prompt_id) throw new Error(`submission failed: ${res.status} ${JSON.stringify(json)}`);
        ids.push(json.prompt_id);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  done = true;
  await probeLoop;
  return { ids, postMs, infoMs, seconds };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontinuous-bench-'));
  const { child, url } = await startServer(dataDir);
  try {
    const tracker = await connectSockets(url);
    await load(url, 200, false); // warm-up (JIT, sharp, SQLite)
    await drain(url);
    const rows: Array<{ rate: number; p50: number; p99: number; i50: number; i99: number; lost: number; cpu: number; drained: number }> = [];
    for (let run = 0; run < RUNS; run++) {
      const cpu0 = cpuSeconds(child.pid!);
      const t0 = performance.now();
      const r = await load(url, PROMPTS, true);
      await drain(url);
      const drained = PROMPTS / ((performance.now() - t0) / 1000);
      const cpu = ((cpuSeconds(child.pid!) - cpu0) * 1000) / PROMPTS;
      await new Promise((res) => setTimeout(res, 300));
      const lost = r.ids.filter((id) => tracker.finished.get(id)?.size !== 2).length;
      rows.push({ rate: PROMPTS / r.seconds, p50: median(r.postMs), p99: quantile(r.postMs, 0.99), i50: median(r.infoMs), i99: quantile(r.infoMs, 0.99), lost, cpu, drained });
      console.log(`run ${run + 1}: ${JSON.stringify(rows.at(-1))} (${r.infoMs.length} object_info probes)`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const rssBefore = rssMiB(child.pid!);
    const soaks: Array<{ seconds: number; drained: number; postMs: number[]; lost: number; rss: number }> = [];
    // More than one soak (BENCH_SOAKS) tells a leak (growth every time) from allocator warm-up (growth then a plateau).
    for (let k = 0; k < Number(process.env.BENCH_SOAKS ?? 1); k++) {
      const soakStart = performance.now();
      const soak = await load(url, SOAK, false);
      await drain(url);
      const drained = (performance.now() - soakStart) / 1000;
      await new Promise((r) => setTimeout(r, 2000));
      const lost = soak.ids.filter((id) => tracker.finished.get(id)?.size !== 2).length;
      soaks.push({ seconds: soak.seconds, drained, postMs: soak.postMs, lost, rss: rssMiB(child.pid!) });
    }
    for (const s of tracker.sockets) s.close();

    const f = (x: number, d = 1): string => x.toFixed(d);
    console.log('\n| metric | median of runs | runs |');
    console.log('|---|---|---|');
    const line = (name: string, key: keyof (typeof rows)[0], d = 1): void =>
      console.log(`| ${name} | ${f(median(rows.map((r) => r[key])), d)} | ${rows.map((r) => f(r[key], d)).join(' / ')} |`);
    line('accepted prompts/s (1,000 from 20 clients)', 'rate', 0);
    line('POST /prompt p50 (ms)', 'p50', 2);
    line('POST /prompt p99 (ms)', 'p99', 2);
    line('GET /object_info p50 (ms)', 'i50', 2);
    line('GET /object_info p99 (ms)', 'i99', 2);
    line('events lost', 'lost', 0);
    line('prompts/s executed (submit to drained)', 'drained', 0);
    line('server CPU per prompt, accept + execute + events (ms)', 'cpu', 2);
    soaks.forEach((soak, k) => {
      const from = k === 0 ? rssBefore : soaks[k - 1]!.rss;
      console.log(
        `\nSoak ${k + 1}: ${SOAK} prompts accepted in ${f(soak.seconds)} s (${f(SOAK / soak.seconds, 0)}/s; POST /prompt p50 ${f(median(soak.postMs), 2)} ms, ` +
          `p99 ${f(quantile(soak.postMs, 0.99), 2)} ms), drained in ${f(soak.drained)} s, events lost ${soak.lost}; server RSS ${f(from)} MiB before, ` +
          `${f(soak.rss)} MiB after (${soak.rss - from >= 0 ? '+' : ''}${f(soak.rss - from)} MiB).`,
      );
    });
    console.log(`Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
