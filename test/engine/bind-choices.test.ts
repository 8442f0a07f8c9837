import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindChoices } from '../../server/engine/bind-choices.js';
import { defineNode, type NodeDefinition } from '../../server/engine/node-definition.js';

const picker = defineNode({
  id: 'Picker', displayName: 'Picker', category: 'test', description: 'picks',
  inputs: { required: { file: { type: 'COMBO', choices: [] }, n: { type: 'INT' } }, optional: { extra: { type: 'COMBO', choices: [] } } },
  outputs: [], run: () => ({ outputs: [] }),
});
const other: NodeDefinition = { ...picker, id: 'Other', inputs: { required: { n: { type: 'INT' } } } };

test('binds listers into copies of the chosen inputs and leaves other definitions untouched', () => {
  let files = ['a.png'];
  const [bound, untouched] = bindChoices([picker, other], (_def, name, spec) => (spec.type === 'COMBO' ? () => files : undefined));
  assert.equal(untouched, other, 'a definition with nothing to bind is returned as it is');
  assert.notEqual(bound, picker);
  const choices = bound!.inputs.required.file!.choices as () => readonly string[];
  files = ['a.png', 'b.png'];
  assert.deepEqual(choices(), ['a.png', 'b.png'], 'the lister is evaluated on every use');
  assert.equal(typeof bound!.inputs.optional!.extra!.choices, 'function', 'optional inputs are bound too');
  assert.deepEqual(picker.inputs.required.file!.choices, [], 'the shared declaration is not modified');
  assert.equal(bound!.inputs.required.n, picker.inputs.required.n);
});
