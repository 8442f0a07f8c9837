// The session cache's policy, on stand-in values that record their release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionCache } from '../../server/runtime/session-cache.js';

class Fake {
  released = false;
  constructor(readonly name: string) {}
  async release(): Promise<void> {
    this.released = true;
  }
}

test('least recently used idle entries are evicted to fit the budget', async () => {
  const cache = new SessionCache<Fake>(100);
  const a = await cache.acquire('a', 40, async () => new Fake('a'));
  const b = await cache.acquire('b', 40, async () => new Fake('b'));
  await cache.acquire('a', 40, async () => new Fake('a2')); // touch a: b is now the oldest
  const c = await cache.acquire('c', 40, async () => new Fake('c'));
  assert.deepEqual(cache.keys().sort(), ['a', 'c']);
  assert.ok(b.released && !a.released && !c.released);
  assert.deepEqual(cache.stats(), { entries: 2, bytes: 80, budgetBytes: 100, evictions: 1 });
  await cache.setBudget(50);
  assert.equal(cache.keys().length, 1);
});

test('an entry in use is not evicted, and a release waits for its run to finish', async () => {
  const cache = new SessionCache<Fake>(50);
  const a = await cache.acquire('a', 40, async () => new Fake('a'));
  let finish!: () => void;
  const running = cache.withEntry('a', () => new Promise<void>((resolve) => (finish = resolve)));
  await cache.acquire('b', 40, async () => new Fake('b'));
  assert.ok(cache.has('a') && !a.released, 'busy entry survives over budget');
  await cache.release('a');
  assert.ok(!a.released, 'release is deferred while running');
  finish();
  await running;
  assert.ok(a.released && !cache.has('a'));
});

test('concurrent loads of one key share a single load; a failed load is not cached', async () => {
  const cache = new SessionCache<Fake>(1000);
  let loads = 0;
  const load = async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 5));
    return new Fake('x');
  };
  const [x1, x2] = await Promise.all([cache.acquire('x', 1, load), cache.acquire('x', 1, load)]);
  assert.equal(x1, x2);
  assert.equal(loads, 1);
  await assert.rejects(cache.acquire('bad', 1, async () => { throw new Error('corrupt'); }), /corrupt/);
  assert.ok(!cache.has('bad'));
  await cache.releaseAll();
  assert.ok(x1.released);
  assert.equal(cache.keys().length, 0);
});
