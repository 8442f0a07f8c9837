// Crash safety with the real `npm start` entry in a child process: 20 prompts on a slow node, kill -9 mid-run,
// restart on the same data dir: every prompt is accounted for (the one that was running is recorded as
// interrupted, by design), and the history written before the crash is intact. Also: SIGTERM checkpoints.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request, slowPrompt, tempDir } from './helpers.js';
import { serverNodeArgs } from '../start-command.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const children: ChildProcess[] = [];
const dirs: string[] = [];

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts server/main.ts with the stub nodes; resolves with its URL once it prints one. */
function startProcess(dataDir: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [...serverNodeArgs(), '--port', '0', '--data-dir', dataDir, ...extra], {
    cwd: REPO,
    env: { ...process.env, KONTINUOUS_TEST_NODES: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /listening on (http:\/\/\S+?)\/?\s/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

async function states(url: string, ids: string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await request(`${url}/api/jobs/${id}`)).body.state as string));
}

it('kill -9 mid-run loses nothing: pending prompts run after restart, the running one is recorded as interrupted', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const first = await startProcess(dataDir);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await request(`${first.url}/prompt`, { method: 'POST', json: { prompt: slowPrompt(4, 60, `crash-${i}`, false) } });
    assert.equal(res.status, 200);
    ids.push(res.body.prompt_id);
  }
  // Let a few finish and one be mid-run.
  for (;;) {
    const s = await states(first.url, ids);
    if (s.filter((x) => x === 'done').length >= 3 && s.includes('running')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const before = await request(`${first.url}/history`);
  first.child.kill('SIGKILL');
  await exited(first.child);

  const second = await startProcess(dataDir);
  assert.match(second.output(), /Recovered after an unclean stop: 1 prompt/);
  let final: string[] = [];
  const end = Date.now() + 40000;
  while (Date.now() < end) {
    final = await states(second.url, ids);
    if (final.every((s) => s === 'done' || s === 'failed')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(final.every((s) => s === 'done' || s === 'failed'), `not all accounted for: ${final.join(',')}`);
  assert.equal(final.filter((s) => s === 'failed').length, 1, 'exactly the running prompt is recorded as interrupted');
  const after = await request(`${second.url}/history`);
  assert.equal(Object.keys(after.body).length, 20);
  // Entries written before the crash are unchanged.
  for (const [id, entry] of Object.entries(before.body)) assert.deepEqual(after.body[id], entry);
  const failedId = ids[final.indexOf('failed')]!;
  const failed = after.body[failedId];
  assert.equal(failed.status.status_str, 'error');
  assert.ok(JSON.stringify(failed.status.messages).includes('server stopped while this prompt was running'));
  const job = await request(`${second.url}/api/jobs/${failedId}`);
  assert.match(job.body.error.message, /not re-run automatically/);
  // Queue order survived: the prompts finished in submission order.
  const order = Object.keys(after.body);
  assert.deepEqual(order, ids);
  second.child.kill('SIGTERM');
  assert.equal(await exited(second.child), 0);
});

it('SIGTERM checkpoints the running prompt back to the queue, and the next start runs it', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const first = await startProcess(dataDir, ['--shutdown-grace', '0.2']);
  const res = await request(`${first.url}/prompt`, { method: 'POST', json: { prompt: slowPrompt(40, 50, 'long', false) } });
  const id = res.body.prompt_id as string;
  while ((await request(`${first.url}/api/jobs/${id}`)).body.state !== 'running') await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGTERM');
  assert.equal(await exited(first.child), 0);
  const second = await startProcess(dataDir);
  assert.match(second.output(), /pending prompts: 1/);
  assert.doesNotMatch(second.output(), /Recovered after an unclean stop/);
  second.child.kill('SIGTERM'); // grace 10 s: it finishes the 2 s prompt before exiting
  assert.equal(await exited(second.child), 0, second.output());
  const third = await startProcess(dataDir);
  const job = await request(`${third.url}/api/jobs/${id}`);
  assert.equal(job.body.state, 'done');
  third.child.kill('SIGTERM');
  await exited(third.child);
});
