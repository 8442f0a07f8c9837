// `--set <node>.<input>=<value>`: changes a widget value before the run, in the prompt and in the UI workflow
// (so the saved PNGs embed what actually ran). Values are typed by the input's declaration.
import { isWidgetInput, orderedInputs, type InputSpec, type NodeRegistry, type Prompt, type Workflow } from '../engine/index.js';
import { CliError, EXIT } from './exit-codes.js';

const SEED_NAMES = new Set(['seed', 'noise_seed']);
const SEED_CONTROL = new Set(['fixed', 'increment', 'decrement', 'randomize']);

/** The prompt node a --set names: an id, a title, or a class type used by exactly one node. Throws CliError. */
export function findNode(prompt: Prompt, name: string): string {
  if (prompt[name]) return name;
  const byTitle = Object.keys(prompt).filter((id) => prompt[id]!._meta?.title === name);
  if (byTitle.length === 1) return byTitle[0]!;
  const byClass = Object.keys(prompt).filter((id) => prompt[id]!.class_type === name);
  if (byClass.length === 1) return byClass[0]!;
  const many = byTitle.length > 1 ? byTitle : byClass;
  if (many.length > 1) throw new CliError(`--set: "${name}" matches nodes ${many.join(', ')}; use a node id`, EXIT.invalidInput);
  const known = Object.entries(prompt).map(([id, n]) => `${id} (${n._meta?.title ?? n.class_type})`);
  throw new CliError(`--set: no node "${name}" in the workflow; nodes are ${known.join(', ')}`, EXIT.invalidInput);
}

/** Converts the text of a --set value to the input's type; throws CliError naming the input. */
export function coerceValue(spec: InputSpec, text: string, where: string): unknown {
  switch (spec.type) {
    case 'INT':
    case 'FLOAT': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new CliError(`--set ${where}: "${text}" is not a number`, EXIT.invalidInput);
      if (spec.type === 'INT' && !Number.isInteger(value)) throw new CliError(`--set ${where}: "${text}" is not a whole number`, EXIT.invalidInput);
      return value;
    }
    case 'BOOLEAN':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      throw new CliError(`--set ${where}: "${text}" is not true or false`, EXIT.invalidInput);
    default:
      return text;
  }
}

/** Writes `value` into the workflow node's widgets_values slot for `input` (seed control values skipped). */
function patchWorkflow(workflow: Workflow, nodeId: string, input: string, value: unknown, registry: NodeRegistry): void {
  const node = workflow.nodes.find((n) => String(n.id) === nodeId);
  const def = node && registry.get(node.type);
  if (!node || !def) return;
  if (node.widgets_values && !Array.isArray(node.widgets_values)) {
    node.widgets_values[input] = value;
    return;
  }
  const values = (node.widgets_values ??= []) as unknown[];
  let i = 0;
  for (const w of orderedInputs(def).filter((x) => isWidgetInput(x.spec))) {
    if (w.name === input) {
      values[i] = value;
      return;
    }
    i++;
    if (w.spec.type === 'INT' && SEED_NAMES.has(w.name) && SEED_CONTROL.has(String(values[i]))) i++;
  }
}

/** Applies every --set to the prompt (and the workflow when there is one). Throws CliError (exit 2). */
export function applySets(
  prompt: Prompt,
  workflow: Workflow | null,
  sets: Array<{ node: string; input: string; value: string }>,
  registry: NodeRegistry,
): Array<{ node: string; input: string; value: unknown }> {
  const applied: Array<{ node: string; input: string; value: unknown }> = [];
  for (const set of sets) {
    const id = findNode(prompt, set.node);
    const node = prompt[id]!;
    const def = registry.get(node.class_type);
    if (!def) throw new CliError(`--set ${set.node}.${set.input}: node ${id} has unknown class ${node.class_type}`, EXIT.invalidInput);
    const spec = def.inputs.required[set.input] ?? def.inputs.optional?.[set.input];
    const widgets = orderedInputs(def).filter((x) => isWidgetInput(x.spec)).map((x) => x.name);
    if (!spec) {
      throw new CliError(`--set: ${def.displayName} (node ${id}) has no input "${set.input}"; its settings are ${widgets.join(', ') || 'none'}`, EXIT.invalidInput);
    }
    if (!isWidgetInput(spec)) {
      throw new CliError(`--set: "${set.input}" of ${def.displayName} (node ${id}) is a ${spec.type} connection, not a setting`, EXIT.invalidInput);
    }
    const value = coerceValue(spec, set.value, `${set.node}.${set.input}`);
    node.inputs[set.input] = value;
    if (workflow) patchWorkflow(workflow, id, set.input, value, registry);
    applied.push({ node: id, input: set.input, value });
  }
  return applied;
}
