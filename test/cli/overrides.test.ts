// --set and input loading: nodes found by id, title or unique class; values typed by the input's declaration;
// the UI workflow patched too so saved PNGs embed what ran; PNGs with an embedded workflow load like JSON.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { allNodes } from '../../nodes/index.js';
import { makeImageBatch } from '../../nodes/sockets.js';
import { NodeRegistry, workflowToPrompt } from '../../server/engine/index.js';
import { encodePng } from '../../server/media/codec.js';
import { CliError } from '../../server/cli/exit-codes.js';
import { loadInput } from '../../server/cli/load-input.js';
import { applySets, findNode } from '../../server/cli/overrides.js';
import { WORKFLOWS_DIR } from '../../server/cli/shipped-workflows.js';

const registry = new NodeRegistry(allNodes);
const sweepFile = path.join(WORKFLOWS_DIR, 'strength-sweep.json');

test('--set finds nodes by id, title or unique class and types the value', () => {
  const { prompt, workflow } = loadInput(sweepFile, registry);
  assert.equal(findNode(prompt, '6'), '6');
  assert.equal(findNode(prompt, 'KontextDenoise'), '8');
  assert.equal(findNode(prompt, 'Strength'), '6');
  const applied = applySets(prompt, workflow, [
    { node: '6', input: 'count', value: '3' },
    { node: 'KontextDenoise', input: 'seed', value: '7' },
    { node: 'KontextTextEncode', input: 'instruction', value: 'make it snow' },
    { node: 'StrengthGrid', input: 'labels', value: 'false' },
  ], registry);
  assert.deepEqual(applied.map((a) => a.value), [3, 7, 'make it snow', false]);
  assert.equal(prompt['6']!.inputs.count, 3);
  assert.equal(prompt['8']!.inputs.seed, 7);
  // The workflow now converts to the same values (the seed control value after seed is skipped correctly).
  const again = workflowToPrompt(workflow!, registry).prompt;
  assert.equal(again['6']!.inputs.count, 3);
  assert.equal(again['8']!.inputs.seed, 7);
  assert.equal(again['8']!.inputs.steps, 2);
  assert.equal(again['5']!.inputs.instruction, 'make it snow');
  assert.equal(again['10']!.inputs.labels, false);
});

test('--set refuses what it cannot apply, naming the node and the choices', () => {
  const { prompt, workflow } = loadInput(sweepFile, registry);
  const refuse = (node: string, input: string, value: string, pattern: RegExp): void =>
    assert.throws(() => applySets(prompt, workflow, [{ node, input, value }], registry), (e: unknown) => e instanceof CliError && e.code === 2 && pattern.test(e.message));
  refuse('99', 'seed', '1', /no node "99"/);
  refuse('KontextModelLoader', 'bundel', 'x', /has no input "bundel"; its settings are bundle/);
  refuse('8', 'model', 'x', /is a KONTEXT_MODEL connection, not a setting/);
  refuse('8', 'steps', 'many', /"many" is not a number/);
  refuse('8', 'steps', '2.5', /not a whole number/);
  refuse('KontextDecode', 'latent', 'x', /is a LATENT connection/);
});

test('a PNG with an embedded workflow loads like the workflow itself', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'knodes-png-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const text = readFileSync(sweepFile, 'utf8');
  const png = await encodePng(makeImageBatch(1, 4, 4), 0, { workflow: JSON.stringify(JSON.parse(text)) });
  writeFileSync(path.join(dir, 'with.png'), png);
  writeFileSync(path.join(dir, 'without.png'), await encodePng(makeImageBatch(1, 4, 4), 0));
  writeFileSync(path.join(dir, 'junk.json'), '{"nodes": 3}');
  const fromPng = loadInput(path.join(dir, 'with.png'), registry);
  assert.equal(fromPng.kind, 'png-workflow');
  assert.deepEqual(fromPng.prompt, loadInput(sweepFile, registry).prompt);
  assert.throws(() => loadInput(path.join(dir, 'without.png'), registry), /without an embedded workflow/);
  assert.throws(() => loadInput(path.join(dir, 'junk.json'), registry), /neither a UI workflow/);
  assert.throws(() => loadInput(path.join(dir, 'missing.json'), registry), /no such file/);
  // An API prompt is accepted as is.
  writeFileSync(path.join(dir, 'api.json'), JSON.stringify(fromPng.prompt));
  const api = loadInput(path.join(dir, 'api.json'), registry);
  assert.equal(api.kind, 'prompt');
  assert.equal(api.workflow, null);
});
