import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateBytes, Executor, OutputCache, validatePrompt, type Prompt } from '../../server/engine/index.js';
import { makeImageBatch } from '../../nodes/sockets.js';
import { ranSince, stubWorld } from './stub-nodes.js';

test('image batches are sized by their pixels', () => {
  const image = makeImageBatch(2, 64, 32);
  const bytes = estimateBytes([image]);
  assert.ok(bytes >= 2 * 64 * 32 * 3 * 4 && bytes < 2 * 64 * 32 * 3 * 4 + 1024, `estimated ${bytes}`);
  const shared = new Float32Array(1000);
  assert.ok(estimateBytes([shared, shared]) < 4000 + 200, 'a buffer shared by two values is counted once');
});

test('least recently used entries are evicted first under the byte budget', () => {
  const cache = new OutputCache({ maxBytes: 3500 });
  cache.set('a', [new Uint8Array(1000)]);
  cache.set('b', [new Uint8Array(1000)]);
  cache.set('c', [new Uint8Array(1000)]);
  assert.ok(cache.get('a'));
  cache.set('d', [new Uint8Array(1000)]);
  assert.equal(cache.has('b'), false, 'b was the least recently used');
  assert.deepEqual(['a', 'c', 'd'].map((k) => cache.has(k)), [true, true, true]);
  const s = cache.stats();
  assert.equal(s.entries, 3);
  assert.ok(s.bytes <= 3500);
  assert.equal(s.evictions, 1);
  assert.equal(s.hits, 1);
  assert.equal(cache.set('huge', [new Uint8Array(10_000)]), false, 'a value larger than the budget is not stored');
  assert.equal(cache.stats().entries, 3);
  cache.clear();
  assert.deepEqual({ ...cache.stats(), hits: 0, misses: 0 }, { entries: 0, bytes: 0, maxBytes: 3500, hits: 0, misses: 0, evictions: 1 });
  assert.throws(() => new OutputCache({ maxBytes: -1 }), /maxBytes/);
});

test('a small byte budget evicts results between prompts and they are recomputed', async () => {
  const world = stubWorld();
  const cache = new OutputCache({ maxBytes: 2500 });
  const executor = new Executor({ registry: world.registry, cache });
  const prompt = (tag: string, note = ''): Prompt => ({
    '1': { class_type: 'Bytes', inputs: { size: 2000, tag } },
    '2': { class_type: 'Sink', inputs: { buf: ['1', 0], note } },
  });
  const runOnce = async (p: Prompt) => {
    const v = await validatePrompt(p, world.registry);
    const before = new Map(world.runs);
    await executor.execute(v.prompt!, { promptId: 'x' });
    return ranSince(world, before);
  };
  assert.deepEqual(await runOnce(prompt('a')), ['1', '2']);
  assert.deepEqual(await runOnce(prompt('a')), [], 'fits: fully cached');
  assert.deepEqual(await runOnce(prompt('b')), ['1', '2']);
  assert.ok(cache.stats().bytes <= 2500);
  assert.ok(cache.stats().evictions >= 1);
  assert.deepEqual(await runOnce(prompt('a', 'changed')), ['1', '2'], 'a\'s buffer was evicted to make room for b\'s');
  assert.deepEqual(await runOnce(prompt('a', 'again')), ['2'], 'and it is cached again now');
});
