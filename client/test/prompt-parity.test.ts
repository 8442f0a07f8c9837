// The editor's prompt builder against the engine's own workflow converter: for every shipped workflow and the
// engine's fixture workflows (mute, bypass, legacy reroutes, primitives, notes, a dangling link), loading the
// workflow into the live graph and building the prompt gives exactly what the server's converter gives.
// litegraph's LGraph runs in Node, so this needs no browser.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LGraph } from '../src/litegraph-adapter.js';
import { registerNodeClasses } from '../src/node-classes.js';
import { registerVirtualNodes } from '../src/workflow/virtual-nodes.js';
import { loadWorkflowInto, serialiseGraph } from '../src/workflow/load.js';
import { graphToPrompt } from '../src/workflow/to-prompt.js';
import { isApiPrompt, loadPromptInto } from '../src/workflow/from-prompt.js';
import { ApiClient, type ObjectInfo } from '../src/api.js';
import { NodeRegistry, parseWorkflow, workflowToPrompt } from '../../server/engine/index.js';
import { allNodes } from '../../nodes/index.js';
import { stubWorld } from '../../test/engine/stub-nodes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const host = { api: new ApiClient(''), canvas: () => undefined, changed: () => undefined, notifyError: () => undefined };

function register(registry: NodeRegistry): void {
  registerVirtualNodes(host);
  registerNodeClasses(registry.objectInfo() as unknown as ObjectInfo, host);
}

function editorPrompt(workflow: unknown) {
  const graph = new LGraph();
  const missing = loadWorkflowInto(graph, workflow);
  return { ...graphToPrompt(graph), missing, graph };
}

test('shipped workflows: the editor builds the same prompt as the engine', () => {
  const registry = new NodeRegistry(allNodes);
  register(registry);
  const dir = join(ROOT, 'workflows');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 3, `expected the shipped workflows, found ${files.join(', ')}`);
  for (const file of files) {
    const raw = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const engine = workflowToPrompt(parseWorkflow(raw).workflow, registry).prompt;
    const editor = editorPrompt(raw);
    assert.deepEqual(editor.missing, [], file);
    assert.deepEqual(editor.skipped, {}, file);
    assert.deepEqual(editor.prompt, engine, file);
  }
});

test('engine fixtures (mute, bypass, reroutes, primitive, note, dangling link) convert the same way', () => {
  const { registry } = stubWorld();
  register(registry);
  const dir = join(ROOT, 'test', 'fixtures', 'workflows');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const raw = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const engine = workflowToPrompt(parseWorkflow(raw).workflow, registry).prompt;
    const editor = editorPrompt(parseWorkflow(raw).workflow);
    assert.deepEqual(editor.prompt, engine, file);
  }
});

test('a workflow saved by the editor converts on the server to the prompt the editor queues', () => {
  const registry = new NodeRegistry(allNodes);
  register(registry);
  const raw = JSON.parse(readFileSync(join(ROOT, 'workflows', 'kontinuous-edit.json'), 'utf8'));
  const { graph, prompt } = editorPrompt(raw);
  const saved = serialiseGraph(graph);
  assert.ok(saved.nodes.every((n) => Array.isArray(n.size)));
  assert.deepEqual(workflowToPrompt(parseWorkflow(saved).workflow, registry).prompt, prompt);
});

test('an API prompt opens as a graph that queues the same prompt again', () => {
  const registry = new NodeRegistry(allNodes);
  register(registry);
  for (const file of ['kontinuous-edit.json', 'strength-sweep.json', 'chained-edits.json']) {
    const raw = JSON.parse(readFileSync(join(ROOT, 'workflows', file), 'utf8'));
    const prompt = workflowToPrompt(parseWorkflow(raw).workflow, registry).prompt;
    const graph = new LGraph();
    assert.ok(isApiPrompt(prompt));
    assert.deepEqual(loadPromptInto(graph, prompt as never), []);
    assert.deepEqual(graphToPrompt(graph).prompt, prompt, file);
    const columns = new Set(graph.nodes.map((n) => n.pos[0]));
    assert.ok(columns.size >= 4, `${file}: laid out in dependency columns`);
  }
  assert.equal(isApiPrompt({ nodes: [], links: [] }), false);
  assert.throws(() => loadPromptInto(new LGraph(), { '1': { class_type: 'Nope', inputs: {} } }), /none of the prompt's node types/);
});
