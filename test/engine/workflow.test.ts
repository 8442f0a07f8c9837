import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  EngineError,
  Executor,
  parseWorkflow,
  serializeWorkflow,
  validatePrompt,
  WORKFLOW_MIGRATIONS,
  workflowShapeErrors,
  workflowToPrompt,
  type Workflow,
} from '../../server/engine/index.js';
import { stubWorld } from './stub-nodes.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'workflows');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

test('widget values map by input order, skipping the seed control value; titles and links carried', () => {
  const { registry } = stubWorld();
  const { workflow } = parseWorkflow(fixture('basic.json'));
  const { prompt, warnings } = workflowToPrompt(workflow, registry);
  assert.deepEqual(warnings, []);
  assert.deepEqual(prompt, {
    '1': { class_type: 'Num', inputs: { value: 2.5 }, _meta: { title: 'Number' } },
    '2': { class_type: 'Num', inputs: { value: 4 }, _meta: { title: 'Number' } },
    '3': { class_type: 'Add', inputs: { bias: 1, a: ['1', 0], b: ['2', 0] }, _meta: { title: 'Sum' } },
    '4': { class_type: 'Seeded', inputs: { seed: 42, steps: 5, x: ['3', 0] }, _meta: { title: 'Seeded' } },
    '5': { class_type: 'Show', inputs: { label: 'sum=', x: ['4', 0] }, _meta: { title: 'Show' } },
  });
});

test('muted nodes are dropped, bypassed nodes and reroutes resolved, primitives inlined, dangling links removed', async () => {
  const world = stubWorld();
  const { workflow } = parseWorkflow(fixture('mute-bypass-reroute.json'));
  const { prompt, warnings } = workflowToPrompt(workflow, world.registry);
  assert.deepEqual(Object.keys(prompt).sort(), ['1', '3', '4', '5', '9']);
  assert.deepEqual(prompt['3'].inputs, { bias: 2, a: ['1', 0], b: ['4', 0] }, 'Double #2 is bypassed: Add reads Num #1 through two reroutes');
  assert.deepEqual(prompt['9'].inputs, {}, 'the link from the deleted node #99 is gone');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /#9 .*'x'/);

  const v = await validatePrompt(prompt, world.registry);
  assert.equal(v.ok, true);
  assert.deepEqual(v.outputs, ['5']);
  const result = await new Executor({ registry: world.registry }).execute(v.prompt!, { promptId: 'w' });
  assert.deepEqual(result.outputs, { '5': { text: ['10'] } }, '3 + 5 + bias 2, not doubled');
  assert.equal(world.runs.get('9'), undefined);
});

test('a bypassed node with no input of the wanted type leaves the dependant unconnected', () => {
  const { registry } = stubWorld();
  const { workflow } = parseWorkflow(fixture('mute-bypass-reroute.json'));
  const bypassed = workflow.nodes.find((n) => n.id === 2)!;
  bypassed.inputs![0].type = 'OTHER';
  const { prompt } = workflowToPrompt(workflow, registry);
  assert.equal('a' in prompt['3'].inputs, false);
});

test('object-form widgets_values map by name; literal lists are wrapped so they never read as links', () => {
  const { registry } = stubWorld();
  const workflow = parseWorkflow({
    last_node_id: 1,
    last_link_id: 0,
    nodes: [{ id: 1, type: 'Show', pos: [0, 0], size: [1, 1], mode: 0, inputs: [{ name: 'x', type: 'NUM', link: null }], widgets_values: { label: ['a', 'b'] } }],
    links: [],
    version: 0.4,
  }).workflow;
  assert.deepEqual(workflowToPrompt(workflow, registry).prompt['1'].inputs, { label: { __value__: ['a', 'b'] } });
});

test('litegraph 0.7 files are migrated: version added, object sizes and positions become arrays', () => {
  const { workflow, applied } = parseWorkflow(fixture('legacy-litegraph-0.7.json'));
  assert.deepEqual(applied, ['add-missing-version', 'litegraph-0.7-object-sizes']);
  assert.equal(workflow.version, 0.4);
  assert.deepEqual(workflow.nodes[0].size, [315, 58]);
  assert.deepEqual(workflow.nodes[1].pos, [400, 20]);
  assert.deepEqual(workflow.groups![0].bounding, [0, 0, 800, 200]);
  assert.match(serializeWorkflow(workflow), /"size":\[315,58\]/);
});

test('migrations have unique names and are idempotent on every fixture', () => {
  const names = WORKFLOW_MIGRATIONS.map((m) => m.name);
  assert.equal(new Set(names).size, names.length);
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
    const once = parseWorkflow(fixture(file)).workflow;
    assert.deepEqual(parseWorkflow(once).applied, [], `${file}: nothing left to migrate`);
  }
});

test('every fixture round-trips: parse -> migrate -> validate -> serialize -> parse is stable', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 3);
  for (const file of files) {
    const first = parseWorkflow(fixture(file)).workflow;
    assert.equal(workflowShapeErrors(first), null, file);
    const text = serializeWorkflow(first);
    const second = parseWorkflow(text).workflow;
    assert.deepEqual(second, first, file);
    assert.equal(serializeWorkflow(second), text, `${file}: byte-identical second serialisation`);
  }
});

test('malformed workflows are rejected with the path of the problem', () => {
  const bad = (input: unknown) => {
    try {
      parseWorkflow(input);
    } catch (e) {
      assert.ok(e instanceof EngineError);
      assert.equal(e.code, 'invalid_workflow');
      return e.comfy.details;
    }
    assert.fail('expected a rejection');
  };
  assert.match(bad('{not json'), /not JSON/);
  assert.match(bad([1]), /JSON object/);
  const base = JSON.parse(fixture('basic.json')) as Workflow;
  assert.match(bad({ ...base, links: [[1, 1, 0]] }), /\/links\/0/);
  assert.match(bad({ ...base, nodes: [{ ...base.nodes[0], type: 7 }] }), /\/nodes\/0\/type/);
  assert.match(bad({ ...base, version: 2 }), /newer/);
});

test('a bypassed node passes through its first linked input of the wanted type', () => {
  const { registry } = stubWorld();
  const { workflow } = parseWorkflow({
    last_node_id: 3,
    last_link_id: 2,
    nodes: [
      { id: 1, type: 'Num', pos: [0, 0], size: [1, 1], mode: 0, outputs: [{ name: 'number', type: 'NUM', links: [1] }], widgets_values: [8] },
      {
        id: 2, type: 'Add', pos: [0, 0], size: [1, 1], mode: 4,
        inputs: [{ name: 'a', type: 'NUM', link: null }, { name: 'b', type: 'NUM', link: 1 }],
        outputs: [{ name: 'sum', type: 'NUM', links: [2] }],
        widgets_values: [0],
      },
      { id: 3, type: 'Show', pos: [0, 0], size: [1, 1], mode: 0, inputs: [{ name: 'x', type: 'NUM', link: 2 }], widgets_values: [''] },
    ],
    links: [[1, 1, 0, 2, 1, 'NUM'], [2, 2, 0, 3, 0, 'NUM']],
    version: 0.4,
  });
  const { prompt } = workflowToPrompt(workflow, registry);
  assert.deepEqual(Object.keys(prompt), ['1', '3']);
  assert.deepEqual(prompt['3'].inputs.x, ['1', 0]);
});
