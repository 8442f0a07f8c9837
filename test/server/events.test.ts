// Event sequences on the raw ComfyUI /ws and on socket.io for a successful, a failing, a cached and an
// interrupted prompt, plus binary previews (type 1, and type 4 after feature_flags).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, request, slowPrompt, socketRecorder, solidPrompt, startServer, waitForHistory, WsRecorder, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(async () => {
  await t.close();
});

async function submit(prompt: unknown, clientId: string): Promise<string> {
  const res = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt, client_id: clientId } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.prompt_id as string;
}

const isJpeg = (b: Buffer): boolean => b[0] === 0xff && b[1] === 0xd8;

describe('/ws (ComfyUI protocol)', () => {
  it('greets with status and sid, then streams a successful prompt in order', async () => {
    const ws = new WsRecorder(t.url, 'ws-success');
    await ws.opened();
    await ws.until((r) => r.messages.length > 0);
    assert.deepEqual(ws.messages[0], { type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'ws-success' } });
    const id = await submit(solidPrompt({ red: 0.31 }), 'ws-success');
    await ws.until((r) => r.messages.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === id));
    assert.deepEqual(ws.typesFor(id), [
      'execution_start',
      'execution_cached',
      'executing',
      'executing',
      'executing',
      'executed',
      'execution_success',
      'executing',
    ]);
    const executing = ws.messages.filter((m) => m.type === 'executing' && m.data.prompt_id === id).map((m) => m.data.node);
    assert.deepEqual(executing, ['1', '2', '3', null]);
    const executed = ws.messages.find((m) => m.type === 'executed' && m.data.prompt_id === id)!;
    assert.equal(executed.data.node, '3');
    assert.equal(executed.data.display_node, '3');
    assert.equal(executed.data.output.images[0].type, 'output');
    // A status broadcast follows the history write, with the queue empty again.
    const successAt = ws.messages.findIndex((m) => m.type === 'execution_success' && m.data.prompt_id === id);
    await ws.until((r) => r.messages.slice(successAt).some((m) => m.type === 'status' && m.data.status.exec_info.queue_remaining === 0));
    ws.close();
  });

  it('reports a failing node with execution_error and records it in history', async () => {
    const ws = new WsRecorder(t.url, 'ws-fail');
    await ws.opened();
    const prompt = {
      '1': { class_type: 'TestSolid', inputs: { width: 8, height: 8, red: 0.5, green: 0.5, blue: 0.5, batch_size: 1 } },
      '2': { class_type: 'TestFail', inputs: { images: ['1', 0], message: 'the stub broke on purpose' } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'never' } },
    };
    const id = await submit(prompt, 'ws-fail');
    await ws.until((r) => r.messages.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === id));
    const types = ws.typesFor(id);
    assert.deepEqual(types.slice(-2), ['execution_error', 'executing']);
    assert.ok(!types.includes('execution_success'));
    const error = ws.messages.find((m) => m.type === 'execution_error')!.data;
    assert.equal(error.node_id, '2');
    assert.equal(error.node_type, 'TestFail');
    assert.match(error.exception_message, /the stub broke on purpose/);
    assert.deepEqual(error.traceback, []);
    const entry = await waitForHistory(t.url, id);
    assert.equal(entry.status.status_str, 'error');
    assert.equal(entry.status.completed, false);
    const job = await request(`${t.url}/api/jobs/${id}`);
    assert.equal(job.body.state, 'failed');
    assert.equal(job.body.error.node_id, '2');
    ws.close();
  });

  it('serves a repeated prompt from the cache (execution_cached, executed, no executing)', async () => {
    const ws = new WsRecorder(t.url, 'ws-cache');
    await ws.opened();
    const prompt = solidPrompt({ red: 0.77, output: 'PreviewImage' });
    const first = await submit(prompt, 'ws-cache');
    await waitForHistory(t.url, first);
    const second = await submit(prompt, 'ws-cache');
    await ws.until((r) => r.messages.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === second));
    const cached = ws.messages.find((m) => m.type === 'execution_cached' && m.data.prompt_id === second)!;
    assert.ok(cached.data.nodes.includes('3'));
    assert.deepEqual(ws.typesFor(second), ['execution_start', 'execution_cached', 'executed', 'execution_success', 'executing']);
    const firstOut = (await waitForHistory(t.url, first)).outputs['3'];
    const secondOut = (await waitForHistory(t.url, second)).outputs['3'];
    assert.deepEqual(secondOut, firstOut);
    ws.close();
  });

  it('interrupts the running prompt (broadcast to all), and an idle interrupt does not touch the next prompt', async () => {
    const ws = new WsRecorder(t.url, 'ws-int');
    const other = new WsRecorder(t.url, 'ws-other');
    await Promise.all([ws.opened(), other.opened()]);
    const id = await submit(slowPrompt(200, 20, 'interrupt-me', false), 'ws-int');
    await ws.until((r) => r.messages.some((m) => m.type === 'progress' && m.data.prompt_id === id));
    // An interrupt naming another prompt is ignored.
    const wrong = await request(`${t.url}/interrupt`, { method: 'POST', json: { prompt_id: 'not-this-one' } });
    assert.equal(wrong.body.interrupted, false);
    const res = await fetch(`${t.url}/api/interrupt`, { method: 'POST' }); // no body, no Content-Type
    assert.equal(res.status, 200);
    await ws.until((r) => r.messages.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === id));
    assert.deepEqual(ws.typesFor(id).slice(-2), ['execution_interrupted', 'executing']);
    await other.until((r) => r.messages.some((m) => m.type === 'execution_interrupted' && m.data.prompt_id === id));
    assert.ok(!other.messages.some((m) => m.type === 'execution_start' && m.data.prompt_id === id), 'execution events go to the submitter only');
    const entry = await waitForHistory(t.url, id);
    assert.equal(entry.status.status_str, 'error');
    // Idle now: an interrupt must not leak into the next prompt.
    assert.equal((await request(`${t.url}/interrupt`, { method: 'POST' })).body.interrupted, false);
    const next = await submit(slowPrompt(3, 10, 'after-interrupt', false), 'ws-int');
    assert.equal((await waitForHistory(t.url, next)).status.status_str, 'success');
    ws.close();
    other.close();
  });

  it('sends type 1 preview frames, and type 4 with metadata after feature_flags', async () => {
    const plain = new WsRecorder(t.url, 'ws-prev');
    const rich = new WsRecorder(t.url, 'ws-prev');
    await Promise.all([plain.opened(), rich.opened()]);
    rich.ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
    await rich.until((r) => r.messages.some((m) => m.type === 'feature_flags'));
    const id = await submit(slowPrompt(3, 5, 'previews', true), 'ws-prev');
    await plain.until((r) => r.binary.length >= 3);
    await rich.until((r) => r.binary.length >= 3);
    for (const frame of plain.binary) {
      assert.equal(frame.readUInt32BE(0), 1);
      assert.equal(frame.readUInt32BE(4), 1); // JPEG
      assert.ok(isJpeg(frame.subarray(8)));
    }
    for (const frame of rich.binary) {
      assert.equal(frame.readUInt32BE(0), 4);
      const length = frame.readUInt32BE(4);
      const meta = JSON.parse(frame.subarray(8, 8 + length).toString('utf8'));
      assert.equal(meta.prompt_id, id);
      assert.equal(meta.node_id, '2');
      assert.equal(meta.display_node_id, '2');
      assert.equal(meta.image_type, 'image/jpeg');
      assert.ok(isJpeg(frame.subarray(8 + length)));
    }
    await waitForHistory(t.url, id);
    plain.close();
    rich.close();
  });
});

describe('socket.io (the editor)', () => {
  it('carries the same events and payloads, with previews as Buffers', async () => {
    const { socket, events } = await socketRecorder(t.url, 'sio-1');
    await eventually(() => events.some(([e]) => e === 'status'), 5000, 'status');
    assert.equal(events[0]![1].sid, 'sio-1');
    const id = await submit(slowPrompt(2, 5, 'sio', true), 'sio-1');
    await eventually(() => events.some(([e, d]) => e === 'executing' && d.node === null && d.prompt_id === id), 10000, 'the end');
    const forPrompt = events.filter(([e, d]) => e !== 'status' && e !== 'preview' && d.prompt_id === id);
    // Node 1 (the same solid as earlier prompts) may come from the cache; everything after it runs.
    const cachedNodes: string[] = forPrompt.find(([e]) => e === 'execution_cached')![1].nodes;
    const expectedExecuting = ['1', '2', '3'].filter((n) => !cachedNodes.includes(n));
    assert.deepEqual(forPrompt.filter(([e]) => e === 'executing').map(([, d]) => d.node), [...expectedExecuting, null]);
    assert.deepEqual(
      forPrompt.map(([e]) => e).filter((e) => e !== 'executing'),
      ['execution_start', 'execution_cached', 'progress', 'progress', 'executed', 'execution_success'],
    );
    const previews = events.filter(([e]) => e === 'preview').map(([, d]) => d);
    assert.equal(previews.length, 2);
    assert.equal(previews[0].prompt_id, id);
    assert.equal(previews[0].image_type, 'image/jpeg');
    assert.ok(Buffer.isBuffer(previews[0].image) && isJpeg(previews[0].image));
    const progress = events.find(([e]) => e === 'progress')![1];
    assert.deepEqual(progress, { value: 1, max: 2, prompt_id: id, node: '2' });

    // Failing, cached and interrupted prompts on socket.io as well.
    const failing = await submit({ ...solidPrompt(), '2': { class_type: 'TestFail', inputs: { images: ['1', 0], message: 'sio fail' } } }, 'sio-1');
    await eventually(() => events.some(([e, d]) => e === 'execution_error' && d.prompt_id === failing), 10000, 'error');
    const cachedPrompt = solidPrompt({ red: 0.61, output: 'PreviewImage' });
    await waitForHistory(t.url, await submit(cachedPrompt, 'sio-1'));
    const cached = await submit(cachedPrompt, 'sio-1');
    await eventually(() => events.some(([e, d]) => e === 'execution_success' && d.prompt_id === cached), 10000, 'cached');
    assert.ok(events.find(([e, d]) => e === 'execution_cached' && d.prompt_id === cached)![1].nodes.includes('3'));
    const slow = await submit(slowPrompt(200, 20, 'sio-int', false), 'sio-1');
    await eventually(() => events.some(([e, d]) => e === 'progress' && d.prompt_id === slow), 10000, 'progress');
    await request(`${t.url}/interrupt`, { method: 'POST', json: { prompt_id: slow } });
    await eventually(() => events.some(([e, d]) => e === 'execution_interrupted' && d.prompt_id === slow), 10000, 'interrupted');
    socket.close();
  });
});
