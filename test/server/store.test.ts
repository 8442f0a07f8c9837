// File areas and the SQLite queue store directly: safe resolution, uploads and counters; queue ordering,
// atomic finish, history cap and crash recovery at the store level.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FileAreaError, FileAreas, sanitizeFilename } from '../../server/store/file-areas.js';
import { CRASH_MESSAGE, QueueStore, toTuple, type QueueItem } from '../../server/store/queue-store.js';
import { tempDir } from './helpers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

function status(fn: () => unknown): number | null {
  try {
    fn();
    return null;
  } catch (error) {
    assert.ok(error instanceof FileAreaError, String(error));
    return error.status;
  }
}

describe('FileAreas', () => {
  it('resolves inside areas and refuses traversal, absolute names, unknown types and symlink escapes', () => {
    const root = dir();
    const areas = new FileAreas(root);
    fs.writeFileSync(path.join(areas.roots.input, 'a.png'), 'x');
    assert.equal(areas.resolveExisting('input', '', 'a.png'), fs.realpathSync(path.join(areas.roots.input, 'a.png')));
    assert.equal(status(() => areas.resolve('input', '', '../a.png')), 400);
    assert.equal(status(() => areas.resolve('input', '..', 'a.png')), 400);
    assert.equal(status(() => areas.resolve('input', '', '%2e%2e/a.png')), 400);
    assert.equal(status(() => areas.resolve('input', '', '/etc/passwd')), 400);
    assert.equal(status(() => areas.resolve('input', 'x\\..\\..', 'a.png')), 400);
    assert.equal(status(() => FileAreas.checkType('models')), 400);
    fs.symlinkSync('/etc', path.join(areas.roots.output, 'etc'));
    assert.equal(status(() => areas.resolve('output', 'etc', 'passwd')), 403);
    assert.equal(status(() => areas.resolve('output', 'etc', 'new-file.png')), 403);
    assert.equal(status(() => areas.resolveExisting('output', '', 'missing.png')), 404);
  });

  it('sanitises upload names, reuses identical uploads, numbers different ones, and counts outputs', () => {
    const areas = new FileAreas(dir());
    assert.equal(sanitizeFilename('../../evil.png'), 'evil.png');
    assert.equal(sanitizeFilename('..\\..\\x<y>.png'), 'x_y_.png');
    assert.equal(sanitizeFilename('...'), 'upload');
    const a = Buffer.from('aaaa');
    const b = Buffer.from('bbbb');
    assert.equal(areas.saveUpload(a, 'p.png', '', 'input', false).filename, 'p.png');
    assert.equal(areas.saveUpload(a, 'p.png', '', 'input', false).filename, 'p.png');
    assert.equal(areas.saveUpload(b, 'p.png', '', 'input', false).filename, 'p (1).png');
    assert.equal(areas.saveUpload(Buffer.from('cc'), 'p.png', '', 'input', false).filename, 'p (2).png');
    assert.deepEqual(areas.listImages('input'), ['p (1).png', 'p (2).png', 'p.png']);
    assert.equal(areas.hashFile('input', '', 'p.png'), areas.hashFile('input', '', 'p.png'));
    assert.notEqual(areas.hashFile('input', '', 'p.png'), areas.hashFile('input', '', 'p (1).png'));
    const first = areas.nextOutput('output', 'runs/cat');
    fs.writeFileSync(first.path, 'x');
    assert.equal(first.filename, 'cat_00001_.png');
    assert.equal(first.subfolder, 'runs');
    assert.equal(areas.nextOutput('output', 'runs/cat').filename, 'cat_00002_.png');
    // A new FileAreas (a restart) continues from the highest number on disk.
    fs.writeFileSync(path.join(areas.roots.output, 'runs', 'cat_00041_.png'), 'x');
    const restarted = new FileAreas(path.dirname(areas.roots.input));
    assert.equal(restarted.nextOutput('output', 'runs/cat').filename, 'cat_00042_.png');
    assert.equal(status(() => areas.nextOutput('output', '../../cat')), 400);
  });
});

function item(id: string, number: number): Omit<QueueItem, 'seq'> {
  const prompt = { '1': { class_type: 'X', inputs: {} } };
  return { promptId: id, number, prompt, execPrompt: prompt, extraData: {}, outputs: ['1'], clientId: null };
}

describe('QueueStore', () => {
  it('orders by number then insertion, finishes atomically, caps history and recovers a crashed run', () => {
    const file = path.join(dir(), 'q.sqlite');
    let store = new QueueStore(file, 2);
    store.enqueue(item('a', 5));
    store.enqueue(item('b', 1));
    store.enqueue(item('c', 5));
    store.enqueue(item('d', -3));
    assert.deepEqual(store.pending().map((i) => i.promptId), ['d', 'b', 'a', 'c']);
    assert.throws(() => store.enqueue(item('a', 0)), /already in use/);
    const first = store.takeNext()!;
    assert.equal(first.promptId, 'd');
    assert.equal(store.state('d'), 'running');
    store.finish(first, { prompt: toTuple(first), outputs: {}, status: { status_str: 'success', completed: true, messages: [] }, meta: {} });
    assert.equal(store.state('d'), 'done');
    for (const id of ['b', 'a']) {
      const next = store.takeNext()!;
      assert.equal(next.promptId, id);
      store.finish(next, { prompt: toTuple(next), outputs: {}, status: { status_str: 'error', completed: false, messages: [] }, meta: {} });
    }
    assert.deepEqual(Object.keys(store.history()), ['b', 'a'], 'capped at 2, oldest dropped');
    assert.equal(store.state('d'), 'unknown');
    assert.equal(store.state('a'), 'failed');
    const running = store.takeNext()!;
    assert.equal(running.promptId, 'c');
    store.enqueue(item('e', 9));
    store.close(); // as if killed mid-run: 'c' is running, 'e' pending

    store = new QueueStore(file, 2);
    assert.deepEqual(store.recoverInterrupted(), ['c']);
    assert.equal(store.state('c'), 'failed');
    assert.equal(store.historyEntry('c')!.status.messages.some(([, d]) => JSON.stringify(d).includes(CRASH_MESSAGE.slice(0, 40))), true);
    assert.deepEqual(store.pending().map((i) => i.promptId), ['e']);
    assert.deepEqual(store.recoverInterrupted(), [], 'recovery happens once');
    // A graceful checkpoint puts the running prompt back at the front.
    store.enqueue(item('f', 0));
    const taken = store.takeNext()!;
    assert.equal(taken.promptId, 'f');
    store.requeueRunning();
    assert.deepEqual(store.pending().map((i) => i.promptId), ['f', 'e']);
    store.close();
  });

  it('keeps pending prompts on disk, not in memory: they come back whole, in order, with their positions', () => {
    const store = new QueueStore(path.join(dir(), 'q.sqlite'), 10);
    const big = (id: string, number: number): Omit<QueueItem, 'seq'> => ({
      ...item(id, number),
      prompt: { '1': { class_type: 'X', inputs: { text: `${id} `.repeat(1000) } } },
      extraData: { client: id },
      clientId: `client-${id}`,
    });
    store.enqueue(big('p', 2));
    store.enqueue(big('q', 1));
    assert.deepEqual(store.pendingPosition('p'), { position: 1, number: 2 });
    assert.deepEqual(store.pendingPosition('q'), { position: 0, number: 1 });
    assert.equal(store.pendingPosition('nope'), null);
    const listed = store.pending();
    assert.deepEqual(listed.map((i) => [i.promptId, i.clientId, i.extraData.client]), [['q', 'client-q', 'q'], ['p', 'client-p', 'p']]);
    const taken = store.takeNext()!;
    assert.equal(taken.promptId, 'q');
    assert.equal((taken.prompt['1']!.inputs.text as string).length, 2000, 'the whole prompt is read back when it runs');
    assert.deepEqual(taken.outputs, ['1']);
    assert.equal(store.pendingPosition('q'), null);
    assert.deepEqual(store.pendingPosition('p'), { position: 0, number: 2 });
    store.close();
  });
});
