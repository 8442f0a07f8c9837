import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineNode, NodeRegistry } from '../../server/engine/index.js';
import { stubWorld } from './stub-nodes.js';

test('object_info has ComfyUI\'s exact shape for a node with required, optional and hidden inputs', () => {
  const { registry } = stubWorld();
  const info = registry.objectInfoFor('Show');
  assert.deepEqual(info, {
    Show: {
      input: {
        required: { x: ['NUM', {}] },
        optional: { label: ['STRING', { default: '', multiline: true }] },
        hidden: { prompt: 'PROMPT' },
      },
      input_order: { required: ['x'], optional: ['label'], hidden: ['prompt'] },
      output: [],
      output_is_list: [],
      output_name: [],
      name: 'Show',
      display_name: 'Show',
      description: 'An output node showing its input.',
      category: 'test/output',
      output_node: true,
      python_module: 'nodes',
      deprecated: false,
      experimental: false,
    },
  });
});

test('widget options and outputs are described as [TYPE, opts]', () => {
  const { registry } = stubWorld();
  const num = registry.objectInfo().Num;
  assert.deepEqual(num.input.required.value, ['FLOAT', { default: 1, min: -100, max: 100, step: 0.5, tooltip: 'the number' }]);
  assert.deepEqual(num.output, ['NUM']);
  assert.deepEqual(num.output_name, ['number']);
  assert.deepEqual(num.output_is_list, [false]);
  assert.equal(num.output_node, false);
  assert.equal('optional' in num.input, false);
});

test('combo choices are [[choices], opts] and a choices function is evaluated on every call', () => {
  const world = stubWorld();
  assert.deepEqual(world.registry.objectInfo().Pick.input.required.file, [['a.png', 'b.png'], { image_upload: true }]);
  world.files.push('c.png');
  assert.deepEqual(world.registry.objectInfoFor('Pick').Pick.input.required.file[0], ['a.png', 'b.png', 'c.png']);
});

test('output_is_list, slider display and round reach object_info', () => {
  const registry = new NodeRegistry([
    defineNode({
      id: 'Listy',
      displayName: 'Listy',
      category: 'c',
      description: 'd',
      inputs: { required: { s: { type: 'FLOAT', default: 0.5, min: 0, max: 1, step: 0.01, round: 0.001, display: 'slider' } } },
      outputs: [{ type: 'NUM', name: 'items', isList: true, tooltip: 'one per item' }],
      run: () => ({ outputs: [[1]] }),
    }),
  ]);
  const info = registry.objectInfo().Listy;
  assert.deepEqual(info.input.required.s, ['FLOAT', { default: 0.5, min: 0, max: 1, step: 0.01, round: 0.001, display: 'slider' }]);
  assert.deepEqual(info.output_is_list, [true]);
  assert.deepEqual(info.output_tooltips, ['one per item']);
});

test('unknown classes give {} and duplicate ids are refused', () => {
  const { registry } = stubWorld();
  assert.deepEqual(registry.objectInfoFor('Nope'), {});
  assert.equal(registry.has('Add'), true);
  assert.equal(registry.get('Nope'), undefined);
  assert.throws(() => registry.register(registry.get('Add')!), /registered twice/);
  assert.deepEqual(Object.keys(registry.objectInfo()), registry.list().map((d) => d.id));
});
