// Pure parts of the editor, in Node: the PNG text reader against the server's own PNG writer, share-link
// round trips, snapshot undo/redo, strength lists for the explorer, and positional widget-value alignment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readPngText } from '../../server/engine/workflow/png-text.js';
import { decodeShareFragment, encodeShareFragment } from '../src/workflow/share-link.js';
import { UndoHistory, snapshotOf } from '../src/state/undo.js';
import { strengthsFromInputs, strengthsOfPrompt } from '../src/strength/strengths.js';
import { alignWidgetValues } from '../src/node-classes.js';
import { SweepCollector, sweepOfHistoryEntry } from '../src/strength/sweep-collector.js';
import { parsePreviewFrame } from '../src/connection.js';
import { normaliseWorkflow, WorkflowFormatError } from '../src/workflow/load.js';
import { encodePng } from '../../server/media/codec.js';
import { asciiJson } from '../../server/media/png-text.js';
import { makeImageBatch } from '../../nodes/sockets.js';
import type { NodeInfo } from '../src/api.js';
import { formatDuration, summariseRun } from '../src/ui/history-summary.js';

test('reads the workflow and prompt text chunks the server writes into PNGs', async () => {
  const data = { nodes: [{ id: 1, type: 'LoadImage', title: 'café ✓' }], links: [] };
  const png = await encodePng(makeImageBatch(1, 4, 4), 0, { prompt: '{"1":{}}', workflow: asciiJson(data) });
  const text = readPngText(new Uint8Array(png));
  assert.deepEqual(JSON.parse(text.workflow!), data, 'non-ASCII titles survive');
  assert.equal(text.prompt, '{"1":{}}');
  assert.throws(() => readPngText(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), /not a PNG/);
});

test('share fragments round-trip a workflow and reject damaged links', async () => {
  const workflow = { nodes: Array.from({ length: 40 }, (_, i) => ({ id: i, type: 'KontextStrength', widgets_values: ['single', 0.5] })), links: [] };
  const fragment = await encodeShareFragment(workflow);
  assert.match(fragment, /^#workflow=[A-Za-z0-9_-]+$/);
  assert.ok(fragment.length < JSON.stringify(workflow).length / 4, 'compressed');
  assert.deepEqual(await decodeShareFragment(fragment), workflow);
  assert.equal(await decodeShareFragment('#other'), null);
  await assert.rejects(decodeShareFragment('#workflow=AAAA!!'), /damaged/);
});

test('undo history: checkpoints only real changes, undo/redo walk them, a new edit drops the redo branch', () => {
  const a = snapshotOf({ nodes: [1], extra: { ds: { scale: 1 } } });
  const history = new UndoHistory(a);
  assert.equal(history.checkpoint(snapshotOf({ nodes: [1], extra: { ds: { scale: 2 } } })), false, 'viewport moves are not edits');
  const b = snapshotOf({ nodes: [1, 2] });
  const c = snapshotOf({ nodes: [1, 2, 3] });
  assert.equal(history.checkpoint(b), true);
  assert.equal(history.checkpoint(c), true);
  assert.equal(history.undo(), b);
  assert.equal(history.undo(), a);
  assert.equal(history.undo(), null);
  assert.equal(history.redo(), b);
  history.checkpoint(snapshotOf({ nodes: ['x'] }));
  assert.equal(history.redo(), null);
  assert.equal(history.canUndo, true);
});

test('strengths of a run follow the Strength node rule (single, sweep, list, invalid)', () => {
  assert.deepEqual(strengthsFromInputs({ mode: 'single', value: 0.6 }), [0.6]);
  assert.deepEqual(strengthsFromInputs({ mode: 'sweep', start: 0.2, end: 1, count: 5 }), [0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(strengthsFromInputs({ mode: 'list', list: '0, .5 1' }), [0, 0.5, 1]);
  assert.equal(strengthsFromInputs({ mode: 'list', list: 'two' }), null);
  assert.deepEqual(strengthsOfPrompt({ '6': { class_type: 'KontextStrength', inputs: { mode: 'sweep', start: 0, end: 1, count: 3 } } }), [0, 0.5, 1]);
});

test('the explorer labels a sweep with the strengths Kontext Denoise reports, else with the prompt\'s', () => {
  const prompt = { '6': { class_type: 'KontextStrength', inputs: { mode: 'sweep', start: 0, end: 1, count: 3 } } };
  const frames = ['a', 'b', 'c'].map((filename) => ({ filename, subfolder: '', type: 'output' as const }));
  const collector = new SweepCollector();
  collector.queued('p1', prompt);
  collector.executed('p1', [], { strengths: [0, 0.31, 1] });
  collector.executed('p1', frames, { images: frames });
  assert.deepEqual(collector.finished('p1', true)!.frames.map((f) => f.strength), [0, 0.31, 1]);
  // Without a report (or one that does not fit the batch, or is not numbers), the prompt's strengths.
  for (const report of [null, { strengths: [0, 1] }, { strengths: ['x', 1, 2] }]) {
    collector.queued('p2', prompt);
    if (report) collector.executed('p2', [], report);
    collector.executed('p2', frames, { images: frames });
    assert.deepEqual(collector.finished('p2', true)!.frames.map((f) => f.strength), [0, 0.5, 1]);
  }
});

test('a past run\'s sweep is read from its history entry as from a live run', () => {
  const prompt = {
    '1': { class_type: 'LoadImage', inputs: { image: 'cats/chelsea.png' } },
    '6': { class_type: 'KontextStrength', inputs: { mode: 'sweep', start: 0, end: 1, count: 3 } },
  };
  const frame = (filename: string) => ({ filename, subfolder: '', type: 'output' as const });
  const outputs = {
    '8': { strengths: [0, 0.4, 1] },
    '10': { images: [frame('grid.png')] },
    '11': { images: [frame('anim.webp')], animated: [true] },
    '12': { images: ['a', 'b', 'c'].map(frame) },
  };
  const status = (status_str: string) => ({ status_str, completed: true, messages: [] });
  const run = sweepOfHistoryEntry({ promptId: 'p', prompt, outputs, status: status('success') })!;
  assert.deepEqual(run.frames.map((f) => [f.image.filename, f.strength]), [['a', 0], ['b', 0.4], ['c', 1]]);
  assert.deepEqual(run.source, { filename: 'chelsea.png', subfolder: 'cats', type: 'input' });
  assert.equal(sweepOfHistoryEntry({ promptId: 'p', prompt, outputs, status: status('error') }), null, 'a failed run has no sweep');
  assert.equal(sweepOfHistoryEntry({ promptId: 'p', prompt, outputs: { '10': outputs['10'] }, status: status('success') }), null, 'one image is no sweep');
});

test('widget values from other tools get the seed control value inserted where it is missing', () => {
  const info = {
    input: { required: { seed: ['INT', {}], steps: ['INT', {}], model: ['KONTEXT_MODEL', {}], mode: [['a', 'b'], {}] } },
    input_order: { required: ['seed', 'steps', 'model', 'mode'] },
    output: [],
    name: 'X',
  } as unknown as NodeInfo;
  assert.deepEqual(alignWidgetValues(info, [5, 10, 'a']), [5, 'fixed', 10, 'a']);
  assert.deepEqual(alignWidgetValues(info, [5, 'randomize', 10, 'b']), [5, 'randomize', 10, 'b']);
});

test('binary previews: ComfyUI type 1 and type 4 frames and our socket.io metadata form', () => {
  const jpeg = [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4];
  const type1 = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, ...jpeg]);
  const frame1 = parsePreviewFrame(type1)!;
  assert.equal(frame1.blob.type, 'image/png');
  assert.equal(frame1.blob.size, jpeg.length);
  const meta = new TextEncoder().encode(JSON.stringify({ node_id: '8', display_node_id: '8', prompt_id: 'p', image_type: 'image/jpeg' }));
  const type4 = new Uint8Array([0, 0, 0, 4, 0, 0, 0, meta.length, ...meta, ...jpeg]);
  const frame4 = parsePreviewFrame(type4)!;
  assert.deepEqual([frame4.nodeId, frame4.promptId, frame4.blob.type, frame4.blob.size], ['8', 'p', 'image/jpeg', jpeg.length]);
  const plain = parsePreviewFrame(new Uint8Array(jpeg), { node_id: '3', display_node_id: '9', prompt_id: 'q' })!;
  assert.equal(plain.nodeId, '9');
});

test('workflow files: old object sizes are normalised, API prompts and junk are refused with a reason', () => {
  const workflow = normaliseWorkflow({ nodes: [{ id: 1, type: 'X', size: { 0: 100, 1: 50 } }], links: [] });
  assert.deepEqual(workflow.nodes[0]!.size, [100, 50]);
  assert.throws(() => normaliseWorkflow({ '1': { class_type: 'X', inputs: {} } }), (e: Error) => e instanceof WorkflowFormatError && /API-format prompt/.test(e.message));
  assert.throws(() => normaliseWorkflow({ links: [] }), /no "nodes" list/);
  assert.throws(() => normaliseWorkflow('text'), /JSON object/);
});

test('live strength: throttled runs at the front, a newer one supersedes a pending one, never a started one', async () => {
  const { LiveStrength } = await import('../src/strength/live.js');
  const queued: string[] = [];
  const cancelled: string[] = [];
  const live = new LiveStrength({
    queueFront: async () => {
      const id = `p${queued.length + 1}`;
      queued.push(id);
      return id;
    },
    cancelPending: async (id) => void cancelled.push(id),
  }, 20);
  const node = {} as never;
  const settle = () => new Promise((r) => setTimeout(r, 60));
  live.changed(node);
  await settle();
  assert.deepEqual(queued, [], 'off by default');
  live.enabled = true;
  for (let i = 0; i < 5; i++) live.changed(node);
  await settle();
  assert.deepEqual(queued, ['p1'], 'quick moves coalesce into one run');
  live.changed(node);
  await settle();
  assert.deepEqual([queued, cancelled], [['p1', 'p2'], ['p1']], 'the pending live run is superseded');
  live.started('p2');
  live.changed(node);
  await settle();
  assert.deepEqual([queued, cancelled], [['p1', 'p2', 'p3'], ['p1']], 'a started run is left to finish');
  assert.equal(live.queued, 3);
});

test('summarises history entries: outcome, time, instructions, failure', () => {
  const prompt = {
    12: { class_type: 'KontextTextEncode', inputs: { instruction: 'add snow ' } },
    5: { class_type: 'KontextTextEncode', inputs: { instruction: 'make it night' } },
    7: { class_type: 'KontextTextEncode', inputs: { instruction: 'make it night' } },
    8: { class_type: 'KontextTextEncode', inputs: { instruction: ['3', 0] } },
    9: { class_type: 'SaveImage', inputs: { instruction: 'not an instruction' } },
  };
  const ok = summariseRun({ prompt, status: { status_str: 'success', completed: true, messages: [['execution_start', { timestamp: 1000 }], ['execution_cached', { nodes: [] }], ['execution_success', { timestamp: 2250 }]] } });
  assert.deepEqual(ok, { outcome: 'success', endedAt: 2250, durationMs: 1250, instructions: ['make it night', 'add snow'], failure: undefined });

  const failed = summariseRun({ prompt: {}, status: { status_str: 'error', completed: false, messages: [['execution_start', { timestamp: 10 }], ['execution_error', { node_id: '8', node_type: 'KontextDenoise', exception_message: 'out of memory', timestamp: 40 }]] } });
  assert.equal(failed.outcome, 'error');
  assert.equal(failed.failure, 'KontextDenoise #8: out of memory');
  assert.equal(failed.durationMs, 30);

  const interrupted = summariseRun({ prompt: {}, status: { status_str: 'error', completed: false, messages: [['execution_interrupted', { node_id: '8', timestamp: 5 }]] } });
  assert.deepEqual([interrupted.outcome, interrupted.failure, interrupted.durationMs], ['interrupted', undefined, undefined]);

  // An entry from another ComfyUI server without messages or a status.
  const foreign = summariseRun({ prompt: {}, status: undefined as never });
  assert.deepEqual(foreign, { outcome: 'unknown', endedAt: undefined, durationMs: undefined, instructions: [], failure: undefined });

  assert.deepEqual([formatDuration(430), formatDuration(12_400), formatDuration(125_000)], ['0.4 s', '12 s', '2 min 5 s']);
});
