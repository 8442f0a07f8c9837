// Heap check behind the soak's RSS figure: `node --expose-gc --import tsx test/bench/server-heap.ts`. Runs the
// server in this process (stub nodes, 8 MiB output cache), pushes 4 x 4,000 prompts from 10 concurrent clients,
// and after each batch forces a full GC and prints RSS and the live JS heap. A leak grows the live heap batch after
// batch; allocator warm-up grows RSS to a plateau while the live heap stays flat.
import { request, solidPrompt, startServer } from '../server/helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc --import tsx test/bench/server-heap.ts');
  process.exit(2);
}
const BATCH = Number(process.env.BENCH_BATCH ?? 4000);
const t = await startServer({ cacheMb: 8 });
const mib = (n: number): string => (n / 1048576).toFixed(1);
const snapshot = (): string => {
  gc!();
  const m = process.memoryUsage();
  return `RSS ${mib(m.rss)} MiB, live heap ${mib(m.heapUsed)} MiB, external ${mib(m.external)} MiB`;
};

let n = 0;
async function batch(count: number): Promise<void> {
  let sent = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (sent < count) {
        sent++;
        const i = n++;
        // Distinct colours so every prompt executes (and fills the bounded cache) instead of hitting it.
        const res = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt: solidPrompt({ red: (i % 1000) / 1000 + Math.floor(i / 1000) / 1e6, output: 'PreviewImage' }), client_id: 'heap' } });
        if (res.status !== 200) throw new Error(JSON.stringify(res.body));
      }
    }),
  );
  while (t.server.context.store.remaining > 0) await new Promise((r) => setTimeout(r, 50));
}

await batch(500);
console.log(`after warm-up (500): ${snapshot()}`);
for (let k = 1; k <= 4; k++) {
  await batch(BATCH);
  console.log(`after ${500 + k * BATCH}: ${snapshot()}`);
}
await t.close();
