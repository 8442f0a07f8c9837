// The queue and history over HTTP: ordering by priority number and front insertion, delete and clear of pending
// prompts, history paging/delete/clear, the jobs view, the history cap, and persistence across a restart.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request, slowPrompt, solidPrompt, startServer, tempDir, waitForHistory, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close().catch(() => {});
});

async function submit(url: string, body: Record<string, unknown>): Promise<{ prompt_id: string; number: number }> {
  const res = await request(`${url}/prompt`, { method: 'POST', json: body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

describe('queue order and controls', () => {
  it('runs by priority number, front insertion first; deletes and clears pending prompts only', async () => {
    const t = await startServer();
    servers.push(t);
    // Hold the worker with a slow prompt so the rest stay pending while we look.
    const blocker = await submit(t.url, { prompt: slowPrompt(100, 20, 'blocker', false) });
    while ((await request(`${t.url}/api/jobs/${blocker.prompt_id}`)).body.state !== 'running') await new Promise((r) => setTimeout(r, 10));
    const a = await submit(t.url, { prompt: slowPrompt(1, 0, 'a', false) });
    const b = await submit(t.url, { prompt: slowPrompt(1, 0, 'b', false) });
    const front = await submit(t.url, { prompt: slowPrompt(1, 0, 'front', false), front: true });
    const late = await submit(t.url, { prompt: slowPrompt(1, 0, 'late', false), number: 1000 });
    const gone = await submit(t.url, { prompt: slowPrompt(1, 0, 'gone', false) });
    assert.ok(front.number < 0);
    assert.equal(late.number, 1000);

    const queue = await request(`${t.url}/queue`);
    assert.equal(queue.body.queue_running.length, 1);
    const running = queue.body.queue_running[0];
    assert.equal(running[1], blocker.prompt_id);
    assert.equal(running.length, 5);
    assert.deepEqual(running[4], ['3']);
    assert.deepEqual(queue.body.queue_pending.map((q: unknown[]) => q[1]), [front.prompt_id, a.prompt_id, b.prompt_id, gone.prompt_id, late.prompt_id]);
    assert.equal((await request(`${t.url}/api/jobs/${a.prompt_id}`)).body.state, 'pending');
    assert.equal((await request(`${t.url}/api/jobs/${a.prompt_id}`)).body.position, 1);
    assert.equal((await request(`${t.url}/prompt`)).body.exec_info.queue_remaining, 6);

    // Deleting the running prompt's id does nothing; a pending one goes.
    await request(`${t.url}/queue`, { method: 'POST', json: { delete: [gone.prompt_id, blocker.prompt_id] } });
    const after = await request(`${t.url}/api/queue`);
    assert.equal(after.body.queue_running[0][1], blocker.prompt_id);
    assert.ok(!after.body.queue_pending.some((q: unknown[]) => q[1] === gone.prompt_id));
    assert.equal((await request(`${t.url}/api/jobs/${gone.prompt_id}`)).body.state, 'unknown');

    await request(`${t.url}/interrupt`, { method: 'POST' });
    const order: string[] = [];
    for (const id of [front.prompt_id, a.prompt_id, b.prompt_id, late.prompt_id]) await waitForHistory(t.url, id);
    const history = await request(`${t.url}/history`);
    for (const id of Object.keys(history.body)) order.push(id);
    assert.deepEqual(order, [blocker.prompt_id, front.prompt_id, a.prompt_id, b.prompt_id, late.prompt_id]);

    // Clear empties the pending list.
    const blocker2 = await submit(t.url, { prompt: slowPrompt(100, 20, 'blocker2', false) });
    const x = await submit(t.url, { prompt: slowPrompt(1, 0, 'x', false) });
    await request(`${t.url}/queue`, { method: 'POST', json: { clear: true } });
    assert.deepEqual((await request(`${t.url}/queue`)).body.queue_pending, []);
    assert.equal((await request(`${t.url}/api/jobs/${x.prompt_id}`)).body.state, 'unknown');
    assert.equal((await request(`${t.url}/api/jobs/${blocker2.prompt_id}`)).body.state, 'running');
    await request(`${t.url}/interrupt`, { method: 'POST', json: { prompt_id: blocker2.prompt_id } });
    await waitForHistory(t.url, blocker2.prompt_id);
    assert.equal((await request(`${t.url}/api/jobs/${blocker2.prompt_id}`)).body.state, 'failed');
    assert.equal((await request(`${t.url}/api/jobs/${a.prompt_id}`)).body.state, 'done');
    assert.equal((await request(`${t.url}/api/jobs/no-such-id`)).body.state, 'unknown');
    // ComfyUI's /history/{id} answers {} for unknown ids.
    assert.deepEqual((await request(`${t.url}/history/no-such-id`)).body, {});
  });
});

describe('history', () => {
  it('pages with max_items/offset, deletes, clears, and keeps at most max-history entries across restarts', async () => {
    const dataDir = tempDir();
    let t = await startServer({ dataDir, maxHistory: 4 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { prompt_id } = await submit(t.url, { prompt: solidPrompt({ red: i / 10, output: 'PreviewImage' }) });
      ids.push(prompt_id);
      await waitForHistory(t.url, prompt_id);
    }
    const all = await request(`${t.url}/history`);
    assert.deepEqual(Object.keys(all.body), ids.slice(2), 'the cap drops the oldest');
    assert.deepEqual(Object.keys((await request(`${t.url}/history?max_items=2`)).body), ids.slice(4));
    assert.deepEqual(Object.keys((await request(`${t.url}/api/history?max_items=2&offset=1`)).body), ids.slice(3, 5));
    // Restart on the same data dir: history is still there.
    await t.server.close();
    t = await startServer({ dataDir, maxHistory: 4 });
    servers.push(t);
    assert.deepEqual(Object.keys((await request(`${t.url}/history`)).body), ids.slice(2));
    const one = await request(`${t.url}/history/${ids[5]}`);
    assert.deepEqual(Object.keys(one.body), [ids[5]]);
    assert.equal(one.body[ids[5]!].prompt[1], ids[5]);
    await request(`${t.url}/history`, { method: 'POST', json: { delete: [ids[5]] } });
    assert.deepEqual((await request(`${t.url}/history/${ids[5]}`)).body, {});
    await request(`${t.url}/history`, { method: 'POST', json: { clear: true } });
    assert.deepEqual((await request(`${t.url}/history`)).body, {});
    // New numbers keep counting up after a restart.
    const next = await submit(t.url, { prompt: solidPrompt({ red: 0.99 }) });
    assert.ok(next.number >= 6);
  });
});
