// Builds UI workflows (format 0.4, as ComfyUI's front end saves them) from a compact description and the node
// registry, so the shipped templates always match the nodes' real inputs, outputs and widget order.
import { isWidgetInput, orderedInputs, type NodeRegistry } from '../engine/index.js';

/** One node of a template: its links by input name ([source node id, output index]) and its widget values. */
export interface TemplateNode {
  id: number;
  type: string;
  pos: [number, number];
  title?: string;
  widgets?: Record<string, unknown>;
  links?: Record<string, [number, number]>;
  size?: [number, number];
}

export interface TemplateGroup {
  title: string;
  bounding: [number, number, number, number];
  color?: string;
}

/** Widget value ComfyUI's front end stores after an INT named seed or noise_seed. */
const SEED_CONTROL = 'fixed';
const SEED_NAMES = new Set(['seed', 'noise_seed']);

/**
 * Assembles the UI workflow: nodes with typed input/output slots, links, widget values in the registry's input
 * order (with the seed control value ComfyUI inserts), execution order and groups.
 * Throws Error naming the node for an unknown class, input or output.
 */
export function buildWorkflow(registry: NodeRegistry, nodes: TemplateNode[], groups: TemplateGroup[] = [], description?: string): Record<string, unknown> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const links: Array<[number, number, number, number, number, string]> = [];
  const outLinks = new Map<string, number[]>();
  const inputSlots = new Map<number, Array<Record<string, unknown>>>();
  const widgetValues = new Map<number, unknown[]>();

  for (const node of nodes) {
    const def = registry.get(node.type);
    if (!def) throw new Error(`template node ${node.id}: unknown class ${node.type}`);
    for (const name of Object.keys(node.links ?? {})) {
      if (!(name in def.inputs.required) && !(name in (def.inputs.optional ?? {}))) throw new Error(`template node ${node.id} (${node.type}): no input "${name}"`);
    }
    for (const name of Object.keys(node.widgets ?? {})) {
      if (!(name in def.inputs.required) && !(name in (def.inputs.optional ?? {}))) throw new Error(`template node ${node.id} (${node.type}): no widget "${name}"`);
    }
    const slots: Array<Record<string, unknown>> = [];
    const values: unknown[] = [];
    for (const { name, spec } of orderedInputs(def)) {
      const link = node.links?.[name];
      const widget = isWidgetInput(spec);
      if (link) {
        const [fromId, fromSlot] = link;
        const from = byId.get(fromId);
        const fromDef = from && registry.get(from.type);
        const output = fromDef?.outputs[fromSlot];
        if (!output) throw new Error(`template node ${node.id} (${node.type}).${name}: node ${fromId} has no output ${fromSlot}`);
        const linkId = links.length + 1;
        links.push([linkId, fromId, fromSlot, node.id, slots.length, output.type]);
        const key = `${fromId}:${fromSlot}`;
        outLinks.set(key, [...(outLinks.get(key) ?? []), linkId]);
        slots.push(widget ? { name, type: spec.type, link: linkId, widget: { name } } : { name, type: spec.type, link: linkId });
      } else if (!widget) {
        slots.push({ name, type: spec.type, link: null });
      }
      if (widget) {
        values.push(node.widgets && name in node.widgets ? node.widgets[name] : spec.default);
        if (spec.type === 'INT' && SEED_NAMES.has(name)) values.push(SEED_CONTROL);
      }
    }
    inputSlots.set(node.id, slots);
    widgetValues.set(node.id, values);
  }

  const order = executionOrderOf(nodes);
  const uiNodes = nodes.map((node) => {
    const def = registry.get(node.type)!;
    const outputs = def.outputs.map((output, slot) => ({
      name: output.name,
      type: output.type,
      links: outLinks.get(`${node.id}:${slot}`) ?? [],
      slot_index: slot,
    }));
    const slots = inputSlots.get(node.id)!;
    const values = widgetValues.get(node.id)!;
    const height = 46 + 22 * Math.max(slots.length, outputs.length) + 26 * values.length;
    const entry: Record<string, unknown> = {
      id: node.id,
      type: node.type,
      pos: node.pos,
      size: node.size ?? [300, height],
      flags: {},
      order: order.get(node.id),
      mode: 0,
      inputs: slots,
      outputs,
      properties: { 'Node name for S&R': node.type },
      widgets_values: values,
    };
    if (node.title) entry.title = node.title;
    return entry;
  });

  return {
    last_node_id: Math.max(...nodes.map((n) => n.id)),
    last_link_id: links.length,
    nodes: uiNodes,
    links,
    groups: groups.map((g) => ({ title: g.title, bounding: g.bounding, color: g.color ?? '#3f789e', font_size: 24, flags: {} })),
    config: {},
    extra: { ds: { scale: 0.8, offset: [0, 0] }, ...(description && { description }) },
    version: 0.4,
  };
}

/** Topological position of each node (the `order` field the front end writes). */
function executionOrderOf(nodes: TemplateNode[]): Map<number, number> {
  const order = new Map<number, number>();
  const visiting = new Set<number>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const visit = (id: number): void => {
    if (order.has(id) || visiting.has(id)) return;
    visiting.add(id);
    for (const [from] of Object.values(byId.get(id)?.links ?? {})) visit(from);
    order.set(id, order.size);
  };
  for (const node of nodes) visit(node.id);
  return order;
}
