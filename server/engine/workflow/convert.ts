// UI workflow -> prompt (API format), as ComfyUI's front end does it on "Queue": widget values mapped by the
// class's input order, muted nodes dropped, bypassed nodes and reroutes resolved away, dangling links removed.
import type { Prompt } from '../api.js';
import { isWidgetInput, orderedInputs } from '../inputs.js';
import type { NodeDefinition } from '../node-definition.js';
import type { NodeRegistry } from '../registry.js';
import { NODE_MODE, VIRTUAL_NODE_TYPES, type Workflow, type WorkflowLink, type WorkflowNode } from './types.js';

/** Values ComfyUI front ends store after a seed widget for its "control after generate" menu. */
const SEED_CONTROL_VALUES: ReadonlySet<unknown> = new Set(['fixed', 'increment', 'decrement', 'randomize']);
const SEED_WIDGETS: ReadonlySet<string> = new Set(['seed', 'noise_seed']);

export interface ConversionResult {
  prompt: Prompt;
  /** Things dropped on the way (dangling links, unmappable widget values), one readable line each. */
  warnings: string[];
}

type Source = { link: [string, number] } | { value: unknown } | null;

/** Converts a (migrated, validated) workflow to a prompt; never throws on odd graphs, it warns instead. */
export function workflowToPrompt(workflow: Workflow, registry: NodeRegistry): ConversionResult {
  const warnings: string[] = [];
  const nodes = new Map<string, WorkflowNode>();
  for (const n of workflow.nodes) nodes.set(String(n.id), n);
  const links = new Map<number, WorkflowLink>();
  for (const l of workflow.links ?? []) if (Array.isArray(l)) links.set(l[0], l);

  // `wanted` is the type of the input being fed: a bypassed node passes through its input of that type.
  const resolve = (linkId: number, wanted: string, seen = new Set<string>()): Source => {
    const link = links.get(linkId);
    if (!link) return null;
    const originId = String(link[1]);
    const origin = nodes.get(originId);
    if (!origin || origin.mode === NODE_MODE.never || seen.has(originId)) return null;
    seen.add(originId);
    if (origin.type === 'Reroute') {
      const up = origin.inputs?.[0]?.link;
      return up === null || up === undefined ? null : resolve(up, wanted, seen);
    }
    if (origin.type === 'PrimitiveNode') {
      const values = origin.widgets_values;
      return Array.isArray(values) && values.length > 0 ? { value: values[0] } : null;
    }
    if (origin.mode === NODE_MODE.bypass) {
      // As ComfyUI's front end does: the input at the same index as the output read, if its type fits,
      // else the first input of the wanted type.
      const type = wanted === '*' ? String(origin.outputs?.[link[2]]?.type ?? link[5]) : wanted;
      const inputs = origin.inputs ?? [];
      const fits = (i: (typeof inputs)[number] | undefined) => i !== undefined && String(i.type) === type && i.link !== null && i.link !== undefined;
      const through = fits(inputs[link[2]]) ? inputs[link[2]] : inputs.find(fits);
      return through ? resolve(through.link as number, type, seen) : null;
    }
    return { link: [originId, link[2]] };
  };

  const prompt: Prompt = {};
  for (const node of workflow.nodes) {
    if (node.mode === NODE_MODE.never || node.mode === NODE_MODE.bypass || VIRTUAL_NODE_TYPES.has(node.type)) continue;
    const id = String(node.id);
    const def = registry.get(node.type);
    const inputs: Record<string, unknown> = def ? widgetInputs(node, def, warnings) : {};
    for (const slot of node.inputs ?? []) {
      if (slot.link === null || slot.link === undefined) continue;
      const name = slot.widget?.name ?? slot.name;
      const source = resolve(slot.link, String(slot.type));
      if (source === null) {
        if (!slot.widget) warnings.push(`Node #${id} (${node.type}): input '${name}' is not connected to a running node; left out`);
        continue;
      }
      inputs[name] = 'link' in source ? source.link : literal(source.value);
    }
    prompt[id] = { class_type: node.type, inputs, _meta: { title: node.title ?? def?.displayName ?? node.type } };
  }
  return { prompt, warnings };
}

/** A literal list must be wrapped, or it would read as a link. */
function literal(value: unknown): unknown {
  return Array.isArray(value) ? { __value__: value } : value;
}

/** Widget values by input name, following the class's widget order and skipping seed control values. */
function widgetInputs(node: WorkflowNode, def: NodeDefinition, warnings: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const widgets = orderedInputs(def).filter((i) => isWidgetInput(i.spec));
  const values = node.widgets_values;
  if (values === undefined) return out;
  if (!Array.isArray(values)) {
    for (const w of widgets) if (w.name in values) out[w.name] = literal(values[w.name]);
    return out;
  }
  let i = 0;
  for (const w of widgets) {
    if (i >= values.length) break;
    out[w.name] = literal(values[i++]);
    if (w.spec.type === 'INT' && SEED_WIDGETS.has(w.name) && SEED_CONTROL_VALUES.has(values[i])) i++;
  }
  if (i < values.length) {
    warnings.push(`Node #${node.id} (${node.type}): ${values.length - i} widget value(s) beyond the declared widgets were ignored`);
  }
  return out;
}
