import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Executor, OutputCache, validatePrompt, type ExecutionEvent, type Prompt } from '../../server/engine/index.js';
import { ranSince, stubWorld, type StubWorld } from './stub-nodes.js';

const quietLogger = { error: () => undefined };

function setup(cache = new OutputCache()) {
  const world = stubWorld();
  const logged: string[] = [];
  const executor = new Executor({ registry: world.registry, cache, logger: { error: (m) => logged.push(m) } });
  return { world, executor, logged };
}

/** Validates, executes and collects events; returns the result, the events and the node ids that ran. */
async function run(world: StubWorld, executor: Executor, prompt: Prompt, extra: { signal?: AbortSignal } = {}) {
  const v = await validatePrompt(prompt, world.registry);
  assert.equal(v.ok, true, JSON.stringify(v.error));
  const before = new Map(world.runs);
  const events: ExecutionEvent[] = [];
  const result = await executor.execute(v.prompt!, { promptId: 'p', outputs: v.outputs, signal: extra.signal, emit: (e) => events.push(e) });
  return { result, events, ran: ranSince(world, before) };
}

// 1 -> 3 (Add) <- 2 ; 3 -> 4 (Double) -> 5 (Show);  6 -> 7 (Show) is an independent branch.
function diamond(value2 = 2): Prompt {
  return {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Num', inputs: { value: value2 } },
    '3': { class_type: 'Add', inputs: { a: ['1', 0], b: ['2', 0] } },
    '4': { class_type: 'Double', inputs: { x: ['3', 0] } },
    '5': { class_type: 'Show', inputs: { x: ['4', 0] } },
    '6': { class_type: 'Num', inputs: { value: 7 } },
    '7': { class_type: 'Show', inputs: { x: ['6', 0], label: 'seven=' } },
  };
}

test('runs in topological order and emits ComfyUI\'s events in order', async () => {
  const { world, executor } = setup();
  const { result, events } = await run(world, executor, diamond());
  assert.equal(result.status, 'success');
  assert.deepEqual(result.outputs, { '5': { text: ['6'] }, '7': { text: ['seven=7'] } });
  const pos = (id: string) => result.executed.indexOf(id);
  assert.ok(pos('1') < pos('3') && pos('2') < pos('3') && pos('3') < pos('4') && pos('4') < pos('5'));
  assert.deepEqual(result.executed.slice().sort(), ['1', '2', '3', '4', '5', '6', '7']);
  const kinds = events.map((e) => (e.type === 'executing' ? `executing:${e.data.node}` : e.type));
  assert.equal(kinds[0], 'execution_start');
  assert.equal(kinds[1], 'execution_cached');
  assert.deepEqual(kinds.slice(-2), ['execution_success', 'executing:null']);
  assert.equal(kinds.filter((k) => k === 'executed').length, 2);
  const executed5 = events.findIndex((e) => e.type === 'executed' && e.data.node === '5');
  assert.equal(kinds[executed5 - 1], 'executing:5', 'executed follows its node\'s executing');
  assert.deepEqual(events[1].data, { nodes: [], prompt_id: 'p', timestamp: (events[1].data as { timestamp: number }).timestamp });
  assert.deepEqual(result.messages.map(([t]) => t), ['execution_start', 'execution_cached', 'execution_success']);
  assert.ok(Object.keys(result.timings!).length === 7);
});

test('unreachable nodes are neither run nor cached', async () => {
  const { world, executor } = setup();
  const prompt = { ...diamond(), '8': { class_type: 'Double', inputs: { x: ['6', 0] } } } as Prompt;
  const { ran } = await run(world, executor, prompt);
  assert.equal(world.runs.get('8'), undefined);
  assert.equal(ran.includes('8'), false);
  assert.equal(executor.cache.stats().entries, 7);
});

test('changing one widget re-runs exactly its dependants; an identical resubmission runs nothing', async () => {
  const { world, executor } = setup();
  await run(world, executor, diamond(2));
  const changed = await run(world, executor, diamond(3));
  assert.deepEqual(changed.ran, ['2', '3', '4', '5']);
  assert.deepEqual(changed.result.executed, ['2', '3', '4', '5']);
  assert.deepEqual(changed.result.cached.slice().sort(), ['1', '7']);
  assert.deepEqual(changed.result.outputs['5'], { text: ['8'] });
  const again = await run(world, executor, diamond(3));
  assert.deepEqual(again.ran, []);
  assert.deepEqual(again.result.executed, []);
  assert.deepEqual(again.result.cached.slice().sort(), ['5', '7']);
  assert.deepEqual(again.result.outputs, { '5': { text: ['8'] }, '7': { text: ['seven=7'] } }, 'cached outputs still report their UI');
  const executed = again.events.filter((e) => e.type === 'executed').map((e) => (e.data as { node: string }).node).sort();
  assert.deepEqual(executed, ['5', '7'], 'executed is sent for cached output nodes too');
  assert.equal(again.events.some((e) => e.type === 'executing' && e.data.node !== null), false);
});

test('the cache survives switching workflows and is keyed by content, not node id', async () => {
  const { world, executor } = setup();
  await run(world, executor, diamond());
  const other: Prompt = {
    '10': { class_type: 'Num', inputs: { value: 1 } },
    '11': { class_type: 'Num', inputs: { value: 2 } },
    '12': { class_type: 'Add', inputs: { a: ['10', 0], b: ['11', 0] } },
    '13': { class_type: 'Show', inputs: { x: ['12', 0], label: 'sum=' } },
  };
  const second = await run(world, executor, other);
  assert.deepEqual(second.ran, ['13'], 'only the new output node runs; the Add of the same inputs is reused');
  const back = await run(world, executor, diamond());
  assert.deepEqual(back.ran, []);
  executor.cache.clear();
  const cleared = await run(world, executor, diamond());
  assert.equal(cleared.ran.length, 7);
});

test('a changed fingerprint (external file content) re-runs the node and its dependants', async () => {
  const { world, executor } = setup();
  const prompt: Prompt = { '1': { class_type: 'Pick', inputs: { file: 'a.png' } }, '2': { class_type: 'Show', inputs: { x: ['1', 0] } } };
  await run(world, executor, prompt);
  assert.deepEqual((await run(world, executor, prompt)).ran, []);
  world.contents.set('a.png', 'A2 longer');
  const rerun = await run(world, executor, prompt);
  assert.deepEqual(rerun.ran, ['1', '2']);
  assert.deepEqual(rerun.result.outputs['2'], { text: ['9'] });
});

test('non-deterministic nodes are never cached, nor are their dependants', async () => {
  const { world, executor } = setup();
  const prompt: Prompt = {
    '1': { class_type: 'Random', inputs: {} },
    '2': { class_type: 'Double', inputs: { x: ['1', 0] } },
    '3': { class_type: 'Show', inputs: { x: ['2', 0] } },
    '4': { class_type: 'Num', inputs: { value: 1 } },
    '5': { class_type: 'Show', inputs: { x: ['4', 0] } },
  };
  await run(world, executor, prompt);
  const again = await run(world, executor, prompt);
  assert.deepEqual(again.ran, ['1', '2', '3']);
  assert.deepEqual(again.result.cached, ['5']);
});

test('a failing node fails only its dependants; the independent branch finishes', async () => {
  const { world, executor, logged } = setup();
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 4 } },
    '2': { class_type: 'Fail', inputs: { x: ['1', 0] } },
    '3': { class_type: 'Double', inputs: { x: ['2', 0] } },
    '4': { class_type: 'Show', inputs: { x: ['3', 0] } },
    '5': { class_type: 'Double', inputs: { x: ['1', 0] } },
    '6': { class_type: 'Show', inputs: { x: ['5', 0] } },
  };
  const { result, events, ran } = await run(world, executor, prompt);
  assert.equal(result.status, 'error');
  assert.deepEqual(ran, ['1', '2', '5', '6']);
  assert.deepEqual(result.outputs, { '6': { text: ['8'] } });
  assert.deepEqual(result.failedOutputs, { '4': '2' });
  assert.deepEqual(result.failures, [
    { node_id: '2', node_type: 'Fail', message: 'the stub failed on purpose', exception_type: 'RangeError', inputs: { x: 4 } },
  ]);
  const errors = events.filter((e) => e.type === 'execution_error');
  assert.equal(errors.length, 1);
  const data = errors[0].data as Record<string, unknown>;
  assert.equal(data.node_id, '2');
  assert.equal(data.node_type, 'Fail');
  assert.equal(data.exception_message, 'the stub failed on purpose');
  assert.deepEqual(data.traceback, [], 'no stack travels to clients');
  assert.deepEqual(data.current_inputs, { x: 4 });
  assert.equal(events.some((e) => e.type === 'execution_success'), false);
  assert.deepEqual(events.at(-1), { type: 'executing', data: { node: null, prompt_id: 'p' } });
  assert.ok(logged.some((m) => m.includes('#2') && m.includes('Fail')), 'the failure is logged on the server');
  // The failure is not cached: a resubmission tries again, the good branch comes from the cache.
  const again = await run(world, executor, prompt);
  assert.deepEqual(again.ran, ['2']);
});

test('failure reports summarise huge inputs instead of copying them', async () => {
  const world = stubWorld();
  world.registry.register({
    id: 'FailOnBuf',
    displayName: 'x',
    category: 'test',
    description: '',
    inputs: { required: { buf: { type: 'BUF' } } },
    outputs: [],
    outputNode: true,
    run: () => { throw new Error('bad buffer'); },
  });
  const executor = new Executor({ registry: world.registry, logger: quietLogger });
  const { result } = await run(world, executor, { '1': { class_type: 'Bytes', inputs: { size: 1_000_000, tag: 'x'.repeat(5000) } }, '2': { class_type: 'FailOnBuf', inputs: { buf: ['1', 0] } } });
  assert.deepEqual(result.failures[0].inputs, { buf: 'Uint8Array(1000000)' });
});

test('a node returning the wrong number of outputs fails with a clear message', async () => {
  const { world, executor } = setup();
  world.registry.register({
    id: 'ShowTwo', displayName: 's', category: 'c', description: '', outputNode: true,
    inputs: { required: { a: { type: 'NUM' } } }, outputs: [], run: () => ({ outputs: [] }),
  });
  const { result } = await run(world, executor, { '1': { class_type: 'Wrong', inputs: {} }, '2': { class_type: 'ShowTwo', inputs: { a: ['1', 0] } } });
  assert.equal(result.status, 'error');
  assert.equal(result.failures[0].message, 'Wrong returned 1 output value but declares 2; a node must return one value per declared output');
});

test('progress and previews from the node context reach the event stream', async () => {
  const { world, executor } = setup();
  const { events } = await run(world, executor, {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Slow', inputs: { x: ['1', 0], ms: 20 } },
    '3': { class_type: 'Show', inputs: { x: ['2', 0] } },
  });
  const progress = events.filter((e) => e.type === 'progress');
  assert.equal(progress.length, 10);
  assert.deepEqual(progress[9].data, { value: 10, max: 10, prompt_id: 'p', node: '2' });
  const preview = events.find((e) => e.type === 'preview');
  assert.deepEqual(preview?.data, { prompt_id: 'p', node_id: '2', display_node_id: '2', image: { format: 'png', data: new Uint8Array([1, 2, 3]) } });
});

test('an interrupt during a long node stops promptly; the next prompt is unaffected', async () => {
  const { world, executor } = setup();
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Slow', inputs: { x: ['1', 0], ms: 5000 } },
    '3': { class_type: 'Show', inputs: { x: ['2', 0] } },
  };
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const t0 = performance.now();
  const { result, events } = await run(world, executor, prompt, { signal: controller.signal });
  const elapsed = performance.now() - t0;
  assert.ok(elapsed < 2000, `stopped after ${elapsed.toFixed(0)} ms`);
  assert.equal(result.status, 'interrupted');
  assert.deepEqual(result.failures, []);
  const interrupted = events.find((e) => e.type === 'execution_interrupted');
  assert.deepEqual({ ...interrupted?.data, timestamp: 0 }, { prompt_id: 'p', node_id: '2', node_type: 'Slow', executed: ['1'], timestamp: 0 });
  assert.equal(events.some((e) => e.type === 'execution_error' || e.type === 'execution_success'), false);
  assert.deepEqual(events.at(-1), { type: 'executing', data: { node: null, prompt_id: 'p' } });
  assert.equal(world.runs.get('3'), undefined);
  const next = await run(world, executor, { ...prompt, '2': { class_type: 'Slow', inputs: { x: ['1', 0], ms: 10 } } });
  assert.equal(next.result.status, 'success');
  assert.deepEqual(next.ran, ['2', '3']);
});

test('a node that ignores the signal does not hold the run: the executor stops on abort anyway', async () => {
  const { world, executor } = setup();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const t0 = performance.now();
  const { result } = await run(world, executor, { '1': { class_type: 'Stubborn', inputs: { ms: 1500 } }, '2': { class_type: 'Show', inputs: { x: ['1', 0] } } }, { signal: controller.signal });
  assert.equal(result.status, 'interrupted');
  assert.ok(performance.now() - t0 < 1000, 'returned before the stubborn node finished');
});

test('an already-aborted signal runs nothing', async () => {
  const { world, executor } = setup();
  const { result, ran } = await run(world, executor, diamond(), { signal: AbortSignal.abort() });
  assert.equal(result.status, 'interrupted');
  assert.deepEqual(ran, []);
});

test('an event listener that throws does not break the run', async () => {
  const { world, executor, logged } = setup();
  const v = await validatePrompt(diamond(), world.registry);
  const result = await executor.execute(v.prompt!, { promptId: 'p', emit: () => { throw new Error('listener bug'); } });
  assert.equal(result.status, 'success');
  assert.ok(logged.some((m) => m.includes('listener')));
});

test('two failing branches each report an error; a third branch still finishes', async () => {
  const { world, executor } = setup();
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Fail', inputs: { x: ['1', 0] } },
    '3': { class_type: 'Show', inputs: { x: ['2', 0] } },
    '4': { class_type: 'Fail', inputs: { x: ['1', 0] } },
    '5': { class_type: 'Double', inputs: { x: ['4', 0] } },
    '6': { class_type: 'Show', inputs: { x: ['5', 0] } },
    '7': { class_type: 'Show', inputs: { x: ['1', 0] } },
  };
  const { result, events } = await run(world, executor, prompt);
  assert.equal(result.status, 'error');
  assert.deepEqual(result.failedOutputs, { '3': '2', '6': '4' });
  assert.deepEqual(Object.keys(result.outputs), ['7']);
  assert.deepEqual(events.filter((e) => e.type === 'execution_error').map((e) => (e.data as { node_id: string }).node_id), ['2', '4']);
  assert.equal(world.runs.get('5'), undefined);
});

test('unvalidated prompts with cycles or unknown classes fail cleanly instead of hanging', async () => {
  const { executor } = setup();
  const cyclic: Prompt = {
    '1': { class_type: 'Double', inputs: { x: ['2', 0] } },
    '2': { class_type: 'Double', inputs: { x: ['1', 0] } },
    '3': { class_type: 'Show', inputs: { x: ['2', 0] } },
    '4': { class_type: 'Mystery', inputs: {} },
    '5': { class_type: 'Show', inputs: { x: ['4', 0] } },
  };
  const result = await executor.execute(cyclic, { promptId: 'c' });
  assert.equal(result.status, 'error');
  assert.deepEqual(Object.keys(result.failedOutputs).sort(), ['3', '5']);
  assert.ok(result.failures.some((f) => f.node_id === '4' && /Mystery is not registered/.test(f.message)));
  assert.ok(result.failures.some((f) => /links to node #\d, which has no result/.test(f.message)));
});

test('a node without an inputs object fails as a missing input rather than crashing the executor', async () => {
  const { executor } = setup();
  const result = await executor.execute({ '1': { class_type: 'Double' } } as unknown as Prompt, { promptId: 'n', outputs: ['1'] });
  assert.equal(result.status, 'error');
  assert.equal(result.failures[0].node_id, '1');
  assert.equal(result.failures[0].message, "Required input 'x' of node #1 (Double) is missing");
  assert.equal(result.executed.length, 0, 'the node was not run with a hole in its inputs');
});

test('a fingerprint that throws (unreadable external state) fails that node without running it', async () => {
  const { world, executor } = setup();
  world.registry.get('Pick')!.fingerprint = () => { throw new Error('input file a.png vanished'); };
  const prompt: Prompt = { '1': { class_type: 'Pick', inputs: { file: 'a.png' } }, '2': { class_type: 'Show', inputs: { x: ['1', 0] } } };
  const { result, ran } = await run(world, executor, prompt);
  assert.deepEqual(ran, []);
  assert.deepEqual(result.failedOutputs, { '2': '1' });
  assert.equal(result.failures[0].message, 'input file a.png vanished');
  assert.deepEqual(result.failures[0].inputs, { file: 'a.png' });
});
