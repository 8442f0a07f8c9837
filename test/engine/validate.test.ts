import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validatePrompt, type Prompt } from '../../server/engine/index.js';
import { stubWorld } from './stub-nodes.js';

const { registry } = stubWorld();

/** A one-output prompt whose node #2 has the given inputs (class Add unless said otherwise). */
function withNode(inputs: Record<string, unknown>, classType = 'Add'): Prompt {
  return {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: classType, inputs },
    '3': { class_type: 'Show', inputs: { x: ['2', 0] } },
  };
}

/** Validates and returns the single error of node `id`, checking the whole 400 body around it. */
async function onlyError(prompt: Prompt, id = '2') {
  const r = await validatePrompt(prompt, registry);
  assert.equal(r.ok, false);
  assert.equal(r.error?.type, 'prompt_outputs_failed_validation');
  assert.equal(r.error?.message, 'Prompt outputs failed validation');
  assert.deepEqual(r.error?.extra_info, {});
  assert.deepEqual(Object.keys(r.node_errors), [id]);
  const entry = r.node_errors[id];
  assert.deepEqual(Object.keys(entry).sort(), ['class_type', 'dependent_outputs', 'errors']);
  assert.deepEqual(entry.dependent_outputs, ['3']);
  assert.equal(entry.errors.length, 1);
  const e = entry.errors[0];
  assert.deepEqual(Object.keys(e).sort(), ['details', 'extra_info', 'message', 'type']);
  assert.ok(r.error?.details.includes(e.message), 'the top-level details list the node errors');
  return { e, entry };
}

test('a valid prompt is ok, with converted values and its outputs', async () => {
  const r = await validatePrompt(withNode({ a: ['1', 0], b: ['1', 0], bias: '3' }), registry);
  assert.deepEqual({ ok: r.ok, outputs: r.outputs, node_errors: r.node_errors }, { ok: true, outputs: ['3'], node_errors: {} });
  assert.equal(r.error, undefined);
  assert.equal(r.prompt?.['2'].inputs.bias, 3, 'numeric strings become numbers, as ComfyUI converts them');
});

test('no_prompt for a missing prompt', async () => {
  for (const p of [undefined, null]) {
    const r = await validatePrompt(p, registry);
    assert.deepEqual(r, {
      ok: false,
      error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} },
      node_errors: {},
      outputs: [],
    });
  }
});

test('invalid_prompt for an unknown class, a missing class_type and a non-API body', async () => {
  const unknown = await validatePrompt({ '7': { class_type: 'Nope', inputs: {} } }, registry);
  assert.deepEqual(unknown.error, {
    type: 'invalid_prompt',
    message: 'Cannot execute because node Nope does not exist.',
    details: "Node ID '#7'",
    extra_info: {},
  });
  assert.deepEqual(unknown.node_errors, {});
  const missing = await validatePrompt({ '5': { inputs: {} } }, registry);
  assert.equal(missing.error?.type, 'invalid_prompt');
  assert.equal(missing.error?.message, 'Cannot execute because a node is missing the class_type property.');
  assert.equal(missing.error?.details, "Node ID '#5'");
  const notApi = await validatePrompt({ '1': { class_type: 'Num', inputs: 3 } }, registry);
  assert.equal(notApi.error?.type, 'invalid_prompt');
  assert.match(notApi.error!.details, /\/1\/inputs/);
  assert.equal((await validatePrompt([1, 2], registry)).error?.type, 'invalid_prompt');
  const workflow = await validatePrompt({ nodes: [], links: [], version: 0.4, last_node_id: 0, last_link_id: 0 }, registry);
  assert.equal(workflow.error?.type, 'invalid_prompt');
  assert.match(workflow.error!.details, /UI workflow/);
});

test('prompt_no_outputs when nothing is an output node', async () => {
  const r = await validatePrompt({ '1': { class_type: 'Num', inputs: { value: 1 } } }, registry);
  assert.deepEqual(r.error, { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} });
});

test('required_input_missing', async () => {
  const { e, entry } = await onlyError(withNode({ a: ['1', 0] }));
  assert.equal(entry.class_type, 'Add');
  assert.deepEqual(e, { type: 'required_input_missing', message: 'Required input is missing', details: 'b', extra_info: { input_name: 'b' } });
});

test('bad_linked_input for malformed links and links to absent nodes or outputs', async () => {
  const { e } = await onlyError(withNode({ a: ['1', 0, 9], b: ['1', 0] }));
  assert.deepEqual(e, {
    type: 'bad_linked_input',
    message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
    details: 'a',
    extra_info: { input_name: 'a', input_config: ['NUM', {}], received_value: ['1', 0, 9] },
  });
  const absent = await onlyError(withNode({ a: ['99', 0], b: ['1', 0] }));
  assert.equal(absent.e.type, 'bad_linked_input');
  assert.match(absent.e.details, /#99 does not exist/);
  const noOutput = await onlyError(withNode({ a: ['1', 4], b: ['1', 0] }));
  assert.match(noOutput.e.details, /has no output 4/);
});

test('return_type_mismatch', async () => {
  const prompt: Prompt = {
    '1': { class_type: 'Bytes', inputs: { size: 1, tag: '' } },
    '2': { class_type: 'Double', inputs: { x: ['1', 0] } },
    '3': { class_type: 'Show', inputs: { x: ['2', 0] } },
  };
  const { e } = await onlyError(prompt);
  assert.deepEqual(e, {
    type: 'return_type_mismatch',
    message: 'Return type mismatch between linked nodes',
    details: 'x, received_type(BUF) mismatch input_type(NUM)',
    extra_info: { input_name: 'x', input_config: ['NUM', {}], received_type: 'BUF', linked_node: ['1', 0] },
  });
});

test('invalid_input_type for unconvertible values and literals on socket inputs', async () => {
  const { e } = await onlyError({ '2': { class_type: 'Num', inputs: { value: 'abc' } }, '3': { class_type: 'Show', inputs: { x: ['2', 0] } } });
  assert.equal(e.type, 'invalid_input_type');
  assert.equal(e.message, 'Failed to convert an input value to a FLOAT value');
  assert.equal(e.extra_info.input_name, 'value');
  assert.equal(e.extra_info.received_value, 'abc');
  assert.equal(typeof e.extra_info.exception_message, 'string');
  const literal = await onlyError(withNode({ a: 5, b: ['1', 0] }));
  assert.equal(literal.e.type, 'invalid_input_type');
  assert.match(literal.e.details, /must be linked/);
});

test('value_smaller_than_min and value_bigger_than_max', async () => {
  const small = await onlyError(withNode({ a: ['1', 0], b: ['1', 0], bias: -1 }));
  assert.deepEqual(small.e, {
    type: 'value_smaller_than_min',
    message: 'Value -1 smaller than min of 0',
    details: 'bias',
    extra_info: { input_name: 'bias', input_config: ['INT', { default: 0, min: 0, max: 10 }], received_value: -1 },
  });
  const big = await onlyError(withNode({ a: ['1', 0], b: ['1', 0], bias: 11 }));
  assert.equal(big.e.type, 'value_bigger_than_max');
  assert.equal(big.e.message, 'Value 11 bigger than max of 10');
});

test('value_not_in_list', async () => {
  const { e } = await onlyError({ '2': { class_type: 'Pick', inputs: { file: 'z.png' } }, '3': { class_type: 'Show', inputs: { x: ['2', 0] } } });
  assert.deepEqual(e, {
    type: 'value_not_in_list',
    message: 'Value not in list',
    details: `file: 'z.png' not in ["a.png", "b.png"]`,
    extra_info: { input_name: 'file', input_config: [['a.png', 'b.png'], { image_upload: true }], received_value: 'z.png' },
  });
});

test('custom_validation_failed from NodeDefinition.validate', async () => {
  const world = stubWorld();
  world.contents.delete('b.png');
  const r = await validatePrompt({ '2': { class_type: 'Pick', inputs: { file: 'b.png' } }, '3': { class_type: 'Show', inputs: { x: ['2', 0] } } }, world.registry);
  assert.equal(r.ok, false);
  assert.deepEqual(r.node_errors['2'].errors, [
    { type: 'custom_validation_failed', message: 'Custom validation failed for node', details: 'file - file b.png is missing', extra_info: { input_name: 'file' } },
  ]);
});

test('a failing output is dropped while a valid one still runs', async () => {
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Num', inputs: { value: 1000 } },
    '3': { class_type: 'Show', inputs: { x: ['1', 0] } },
    '4': { class_type: 'Show', inputs: { x: ['2', 0] } },
  };
  const r = await validatePrompt(prompt, registry);
  assert.equal(r.ok, true);
  assert.deepEqual(r.outputs, ['3']);
  assert.deepEqual(Object.keys(r.node_errors), ['2']);
  assert.deepEqual(r.node_errors['2'].dependent_outputs, ['4']);
  assert.equal(r.node_errors['2'].errors[0].type, 'value_bigger_than_max');
  assert.deepEqual(Object.keys(r.prompt!).sort(), ['1', '2', '3', '4']);
});

test('an error shared by two outputs lists both as dependent outputs', async () => {
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 1000 } },
    '3': { class_type: 'Show', inputs: { x: ['1', 0] } },
    '4': { class_type: 'Show', inputs: { x: ['1', 0] } },
  };
  const r = await validatePrompt(prompt, registry);
  assert.equal(r.ok, false);
  assert.deepEqual(r.node_errors['1'].dependent_outputs, ['3', '4']);
  assert.equal(r.node_errors['3'], undefined, 'downstream nodes without errors of their own are not listed');
});

test('a cycle is found at validation time, naming its nodes', async () => {
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Add', inputs: { a: ['1', 0], b: ['4', 0] } },
    '4': { class_type: 'Double', inputs: { x: ['2', 0] } },
    '5': { class_type: 'Show', inputs: { x: ['4', 0] } },
    '6': { class_type: 'Show', inputs: { x: ['1', 0] } },
  };
  const r = await validatePrompt(prompt, registry);
  assert.equal(r.ok, true, 'the independent output still runs');
  assert.deepEqual(r.outputs, ['6']);
  assert.deepEqual(Object.keys(r.node_errors).sort(), ['2', '4']);
  const e = r.node_errors['2'].errors[0];
  assert.equal(e.type, 'dependency_cycle');
  assert.deepEqual([...(e.extra_info.cycle as string[])].sort(), ['2', '4']);
  assert.match(e.details, /#2/);
  assert.match(e.details, /#4/);
  assert.deepEqual(r.node_errors['4'].dependent_outputs, ['5']);
  const self = await validatePrompt({ '1': { class_type: 'Double', inputs: { x: ['1', 0] } }, '2': { class_type: 'Show', inputs: { x: ['1', 0] } } }, registry);
  assert.equal(self.ok, false);
  assert.equal(self.node_errors['1'].errors[0].type, 'dependency_cycle');
});

test('only nodes some output needs are validated', async () => {
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Num', inputs: { value: 'not a number' } },
    '3': { class_type: 'Add', inputs: {} },
    '4': { class_type: 'Show', inputs: { x: ['1', 0] } },
  };
  const r = await validatePrompt(prompt, registry);
  assert.deepEqual({ ok: r.ok, node_errors: r.node_errors, outputs: r.outputs }, { ok: true, node_errors: {}, outputs: ['4'] });
  assert.deepEqual(Object.keys(r.prompt!).sort(), ['1', '4']);
});

test('partial_execution_targets restricts the outputs', async () => {
  const prompt: Prompt = {
    '1': { class_type: 'Num', inputs: { value: 1 } },
    '2': { class_type: 'Num', inputs: { value: 1000 } },
    '3': { class_type: 'Show', inputs: { x: ['1', 0] } },
    '4': { class_type: 'Show', inputs: { x: ['2', 0] } },
  };
  const r = await validatePrompt(prompt, registry, undefined, { partialExecutionTargets: ['3', 'missing'] });
  assert.deepEqual({ ok: r.ok, outputs: r.outputs, node_errors: r.node_errors }, { ok: true, outputs: ['3'], node_errors: {} });
  const none = await validatePrompt(prompt, registry, undefined, { partialExecutionTargets: ['missing'] });
  assert.equal(none.error?.type, 'prompt_no_outputs');
});

test('{"__value__": [...]} literal lists are unwrapped', async () => {
  const r = await validatePrompt(
    { '1': { class_type: 'Num', inputs: { value: { __value__: 'oops' } } }, '2': { class_type: 'Show', inputs: { x: ['1', 0], label: { __value__: 'x' } } } },
    registry,
  );
  assert.equal(r.ok, false, 'the unwrapped value is what is checked');
  assert.equal(r.node_errors['1'].errors[0].type, 'invalid_input_type');
  const ok = await validatePrompt({ '1': { class_type: 'Num', inputs: { value: 2 } }, '2': { class_type: 'Show', inputs: { x: ['1', 0], label: { __value__: 'hi' } } } }, registry);
  assert.equal(ok.prompt?.['2'].inputs.label, 'hi');
});

test('a custom check that throws is reported, not thrown', async () => {
  const world = stubWorld();
  world.registry.get('Pick')!.validate = () => { throw new TypeError('disk on fire'); };
  const r = await validatePrompt({ '2': { class_type: 'Pick', inputs: { file: 'a.png' } }, '3': { class_type: 'Show', inputs: { x: ['2', 0] } } }, world.registry);
  assert.deepEqual(r.node_errors['2'].errors[0], {
    type: 'exception_during_validation',
    message: 'Exception when validating node',
    details: 'disk on fire',
    extra_info: { exception_type: 'TypeError' },
  });
});

test('custom checks see literal values only, never links', async () => {
  const world = stubWorld();
  let seen: Record<string, unknown> | undefined;
  world.registry.get('Add')!.validate = (inputs) => { seen = inputs; return null; };
  const r = await validatePrompt(withNode({ a: ['1', 0], b: ['1', 0], bias: 2 }), world.registry);
  assert.equal(r.ok, true);
  assert.deepEqual(seen, { bias: 2 });
});

test('INT conversion follows Python int(): whole-number strings pass, "2.5" does not, numbers truncate', async () => {
  const bias = async (value: unknown) => validatePrompt(withNode({ a: ['1', 0], b: ['1', 0], bias: value }), registry);
  assert.equal((await bias('7')).prompt?.['2'].inputs.bias, 7);
  assert.equal((await bias(2.9)).prompt?.['2'].inputs.bias, 2);
  const bad = await bias('2.5');
  assert.equal(bad.node_errors['2'].errors[0].type, 'invalid_input_type');
  assert.equal(bad.node_errors['2'].errors[0].message, 'Failed to convert an input value to a INT value');
  assert.equal((await bias(true)).node_errors['2'].errors[0].type, 'invalid_input_type');
});
