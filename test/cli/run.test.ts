// The CLI as a user runs it: a real process per command. Each shipped workflow runs (on the fixture bundle),
// outputs land in --out, and every documented exit code is produced by the situation it names.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'bundles');
const scratch = mkdtempSync(path.join(tmpdir(), 'knodes-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Runs without --data-dir use a scratch data dir, never the repository's.
    const env = { ...process.env, KONTINUOUS_DATA_DIR: path.join(scratch, 'default-data') };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'server', 'cli.ts'), ...args], { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The common flags: the fixture bundle, a scratch data dir, one thread, few steps. */
function fixtureRun(workflow: string, extra: string[] = []): string[] {
  return ['run', path.join(REPO, 'workflows', workflow), '--models-dir', FIXTURES, '--set', 'KontextModelLoader.bundle=kontext-fixture', '--data-dir', path.join(scratch, 'data'), '--threads', '1', '--device', 'cpu', ...extra];
}

test('each shipped workflow runs from the CLI; outputs are copied to --out and listed on stdout', async () => {
  // [workflow, flags, files listed, the progress bar's last step]: the sweep template's even change samples twice.
  const cases: Array<[string, string[], number, number]> = [
    ['kontinuous-edit.json', ['--set', '8.steps=2'], 2, 2],
    ['strength-sweep.json', ['--set', '8.steps=2', '--set', '6.count=3'], 1 + 1 + 3, 4],
    ['chained-edits.json', ['--set', '8.steps=2', '--set', '15.steps=2'], 1 + 1, 2],
    ['masked-edit.json', ['--set', '8.steps=2'], 2, 2],
    ['compare-guidance.json', ['--set', '6.count=3'], 1, 2],
  ];
  for (const [workflow, extra, files, lastStep] of cases) {
    const out = path.join(scratch, `out-${workflow}`);
    const run = await cli(fixtureRun(workflow, [...extra, '--out', out]));
    assert.equal(run.code, 0, `${workflow}: ${run.stderr}`);
    const listed = run.stdout.trim().split('\n');
    assert.equal(listed.length, files, `${workflow} listed ${listed.join(', ')}`);
    for (const file of listed) {
      assert.ok(file.startsWith(out), file);
      assert.ok(existsSync(file), file);
    }
    assert.match(run.stderr, new RegExp(`\\[#+\\] ${lastStep}/${lastStep}`), 'a progress bar reached the last step');
    assert.match(run.stderr, /ran \d+ node\(s\)/);
    assert.match(run.stderr, /success in [\d.]+ s/);
  }
  assert.ok(readdirSync(path.join(scratch, 'out-strength-sweep.json')).some((f) => f.endsWith('.webp')));
});

test('--json prints a summary of what ran and what was cached', async () => {
  const run = await cli(fixtureRun('kontinuous-edit.json', ['--set', '8.steps=2', '--json', '--quiet']));
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.status, 'success');
  assert.equal(summary.ran.length, 11);
  assert.deepEqual(summary.cached, []);
  assert.equal(summary.provider, 'cpu');
  assert.ok(summary.onnx_ms >= 0 && summary.total_ms >= summary.onnx_ms);
  assert.equal(run.stderr.includes('['), false, '--quiet prints no progress');
});

test('--image with a folder and a file runs once per picture; the model and the instruction load once', async () => {
  const shoot = path.join(scratch, 'shoot');
  const other = path.join(scratch, 'other');
  mkdirSync(shoot, { recursive: true });
  mkdirSync(other, { recursive: true });
  const flat = (r: number, g: number, b: number): ReturnType<typeof sharp> => sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } });
  writeFileSync(path.join(shoot, 'a.png'), await flat(200, 30, 30).png().toBuffer());
  writeFileSync(path.join(shoot, 'b.jpg'), await flat(30, 30, 200).jpeg().toBuffer());
  writeFileSync(path.join(shoot, 'notes.txt'), 'not a picture');
  writeFileSync(path.join(other, 'a.png'), await flat(30, 200, 30).png().toBuffer());
  const out = path.join(scratch, 'out-batch');
  const run = await cli(fixtureRun('kontinuous-edit.json', ['--set', '8.steps=1', '--image', shoot, '--image', path.join(other, 'a.png'), '--json', '--out', out]));
  assert.equal(run.code, 0, run.stderr);
  const summaries = JSON.parse(run.stdout) as Array<{ image: string; status: string; ran: Array<{ title: string }>; cached: string[]; outputs: string[] }>;
  assert.deepEqual(summaries.map((s) => path.relative(scratch, s.image)), ['shoot/a.png', 'shoot/b.jpg', 'other/a.png']);
  assert.deepEqual(summaries.map((s) => s.status), ['success', 'success', 'success']);
  assert.equal(summaries[0]!.ran.length, 11);
  for (const later of summaries.slice(1)) {
    assert.ok(later.cached.includes('Load Kontext Model #2') && later.cached.includes('Encode Text #5'), later.cached.join(', '));
    assert.ok(later.ran.some((r) => r.title === 'Kontext Denoise #8'), 'the edit itself runs again');
  }
  // Each picture's files in a folder named after it; the second a.png gets a-2.
  assert.deepEqual(summaries.map((s) => path.relative(out, path.dirname(s.outputs[0]!))), ['a', 'b', 'a-2']);
  assert.ok(summaries.every((s) => s.outputs.some((f) => path.basename(f).startsWith('Kontinuous_edit'))), 'each picture\'s edit is saved');
  // The scaled source each run previewed (the fixture's random weights hardly look at it) is its own picture.
  const previews = summaries.map((s) => s.outputs.find((f) => !path.basename(f).startsWith('Kontinuous_edit'))!);
  const means = await Promise.all(previews.map(async (file) => (await sharp(readFileSync(file)).stats()).channels.map((c) => Math.round(c.mean))));
  assert.deepEqual(means.map((m) => m.indexOf(Math.max(...m))), [0, 2, 1], `red, blue, green: ${JSON.stringify(means)}`);
  assert.match(run.stderr, /\[3\/3\] .*other.a\.png/);
  assert.match(run.stderr, /3 of 3 picture\(s\) edited/);
});

test('--image in a batch: a bad picture fails alone (exit 1), a folder without pictures is refused (exit 2)', async () => {
  const mixed = path.join(scratch, 'mixed');
  mkdirSync(mixed, { recursive: true });
  writeFileSync(path.join(mixed, '1-broken.png'), 'not a png at all');
  writeFileSync(path.join(mixed, '2-good.png'), await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toBuffer());
  const run = await cli(fixtureRun('kontinuous-edit.json', ['--set', '8.steps=1', '--image', mixed, '--json', '--quiet']));
  assert.equal(run.code, 1, run.stderr);
  const summaries = JSON.parse(run.stdout) as Array<{ status: string; failures: Array<{ type: string }> }>;
  assert.deepEqual(summaries.map((s) => s.status), ['error', 'success']);
  assert.equal(summaries[0]!.failures[0]!.type, 'LoadImage');
  const empty = path.join(scratch, 'empty');
  mkdirSync(empty, { recursive: true });
  const refused = await cli(fixtureRun('kontinuous-edit.json', ['--image', empty]));
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--image: the folder .*empty holds no \.png, \.jpg/);
  const missing = await cli(fixtureRun('kontinuous-edit.json', ['--image', path.join(scratch, 'nowhere')]));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--image: cannot read .*nowhere: no such file or folder/);
});

test('a PNG saved by a run carries its workflow and runs again with --set applied', async () => {
  const first = await cli(fixtureRun('kontinuous-edit.json', ['--set', '8.steps=2', '--set', '6.value=0.25', '--out', path.join(scratch, 'png-1')]));
  assert.equal(first.code, 0, first.stderr);
  const png = first.stdout.trim().split('\n').find((f) => f.includes('Kontinuous_edit'))!;
  const again = await cli(['run', png, '--models-dir', FIXTURES, '--data-dir', path.join(scratch, 'data'), '--threads', '1', '--json', '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).status, 'success');
});

test('exit code 2: unreadable files, bad --set and graphs that fail validation', async () => {
  const missing = await cli(['run', path.join(scratch, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file/);
  const badSet = await cli(fixtureRun('kontinuous-edit.json', ['--set', '8.steps=lots']));
  assert.equal(badSet.code, 2);
  assert.match(badSet.stderr, /"lots" is not a number/);
  const outOfRange = await cli(fixtureRun('kontinuous-edit.json', ['--set', '6.value=3']));
  assert.equal(outOfRange.code, 2);
  assert.match(outOfRange.stderr, /#6 Strength: /);
  const usage = await cli(['run']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /Exit codes:/);
});

test('exit code 3: a missing bundle, or a corrupt one, for run and for models', async () => {
  const missing = await cli(fixtureRun('kontinuous-edit.json', ['--set', 'KontextModelLoader.bundle=kontext-nowhere']));
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /kontext-nowhere/);
  const broken = path.join(scratch, 'broken');
  cpSync(path.join(FIXTURES, 'kontext-fixture'), path.join(broken, 'kontext-fixture'), { recursive: true });
  writeFileSync(path.join(broken, 'kontext-fixture', 'transformer.onnx'), 'not a model');
  const run = await cli(['run', path.join(REPO, 'workflows', 'kontinuous-edit.json'), '--models-dir', broken, '--set', 'KontextModelLoader.bundle=kontext-fixture', '--data-dir', path.join(scratch, 'data'), '--threads', '1']);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /corrupt file transformer\.onnx/);
  const models = await cli(['models', '--models-dir', broken, '--check']);
  assert.equal(models.code, 3);
  assert.match(models.stdout, /BAD kontext-fixture/);
  assert.match(models.stdout, /corrupt file transformer\.onnx/);
});

test('models lists the fixture bundle and exits 0 when every bundle is sound', async () => {
  const run = await cli(['models', '--models-dir', FIXTURES, '--check', '--json']);
  const listing = JSON.parse(run.stdout);
  const fixture = listing.bundles.find((b: { name: string }) => b.name === 'kontext-fixture');
  assert.ok(fixture, run.stdout);
  assert.equal(fixture.ok, true, JSON.stringify(fixture.problems));
  assert.equal(fixture.strength_control, true);
  assert.deepEqual(fixture.native, [32, 32]);
  // Exit 0 only if every bundle found (models/ included) is sound.
  assert.equal(run.code, listing.bundles.every((b: { ok: boolean }) => b.ok) ? 0 : 3);
});

test('exit code 130: Ctrl-C stops the denoise and the process reports the interrupt', async () => {
  let sent = false;
  const run = await cli(fixtureRun('kontinuous-edit.json', ['--set', '8.steps=200']), {
    onStderr: (text, child) => {
      if (!sent && /\] \d+\/200/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.equal(sent, true, run.stderr);
  assert.equal(run.code, 130, run.stderr);
  assert.match(run.stderr, /interrupted in Kontext Denoise/);
});
