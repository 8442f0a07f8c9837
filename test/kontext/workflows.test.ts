// The shipped workflows: generated from the registry (no drift), valid UI format 0.4, convertible without
// warnings, and valid prompts once the sample image is seeded and the bundle is listed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { allNodes } from '../../nodes/index.js';
import { bindBundleChoices } from '../../nodes/kontext/bind-choices.js';
import { NodeRegistry, parseWorkflow, validatePrompt, workflowShapeErrors, workflowToPrompt, type NodeServices } from '../../server/engine/index.js';
import { SHIPPED_WORKFLOWS, shippedWorkflowJson, WORKFLOWS_DIR } from '../../server/cli/shipped-workflows.js';
import { seedSampleInputs } from '../../server/cli/sample-inputs.js';
import { FileAreas } from '../../server/store/file-areas.js';

const names = Object.keys(SHIPPED_WORKFLOWS);

test('every shipped workflow file is what the template builder produces (regenerate with --write)', () => {
  assert.deepEqual(names.sort(), ['chained-edits.json', 'compare-guidance.json', 'kontinuous-edit.json', 'masked-edit.json', 'strength-sweep.json']);
  for (const name of names) {
    assert.equal(readFileSync(path.join(WORKFLOWS_DIR, name), 'utf8'), shippedWorkflowJson(name), `${name} drifted from server/cli/shipped-workflows.ts`);
  }
});

test('shipped workflows are valid 0.4 workflows, convert cleanly and validate as prompts', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'knodes-wf-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const files = new FileAreas(dataDir);
  assert.deepEqual(seedSampleInputs(files), ['chelsea.png', 'chelsea-masked.png']);
  assert.deepEqual(seedSampleInputs(files), [], 'an existing file is never replaced');
  const defs = bindBundleChoices(allNodes, () => ['kontext-tiny']).map((def) =>
    def.id === 'LoadImage' ? { ...def, inputs: { ...def.inputs, required: { image: { ...def.inputs.required.image!, choices: () => files.listImages('input') } } } } : def,
  );
  const registry = new NodeRegistry(defs);
  const services = { files } as NodeServices;
  for (const name of names) {
    const raw = JSON.parse(readFileSync(path.join(WORKFLOWS_DIR, name), 'utf8'));
    assert.equal(workflowShapeErrors(raw), null, name);
    assert.equal(raw.version, 0.4);
    const { workflow, applied } = parseWorkflow(raw);
    assert.deepEqual(applied, [], `${name} needs no migration`);
    const { prompt, warnings } = workflowToPrompt(workflow, registry);
    assert.deepEqual(warnings, [], name);
    const validation = await validatePrompt(prompt, registry, services);
    assert.equal(validation.ok, true, `${name}: ${JSON.stringify(validation.error ?? validation.node_errors)}`);
    assert.deepEqual(validation.node_errors, {});
    const classes = Object.values(prompt).map((n) => n.class_type);
    for (const needed of ['LoadImage', 'KontextModelLoader', 'ImageScaleToKontext', 'KontextImageEncode', 'KontextTextEncode', 'KontextStrength', 'KontextProjector', 'KontextDenoise', 'KontextDecode']) {
      assert.ok(classes.includes(needed), `${name} uses ${needed}`);
    }
  }
});

test('the chained workflow feeds the first Decode into the second edit as its reference', () => {
  const registry = new NodeRegistry(allNodes);
  const { workflow } = parseWorkflow(JSON.parse(readFileSync(path.join(WORKFLOWS_DIR, 'chained-edits.json'), 'utf8')));
  const { prompt } = workflowToPrompt(workflow, registry);
  const decodes = Object.entries(prompt).filter(([, n]) => n.class_type === 'KontextDecode').map(([id]) => id);
  const encodes = Object.entries(prompt).filter(([, n]) => n.class_type === 'KontextImageEncode');
  assert.equal(decodes.length, 2);
  assert.ok(encodes.some(([, n]) => Array.isArray(n.inputs.image) && decodes.includes(String(n.inputs.image[0]))));
});
