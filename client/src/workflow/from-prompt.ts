// An API-format prompt (what "Export API" writes and scripts queue) opened as a graph: one node per entry, widget
// values by input name, links wired, laid out in columns by dependency depth. It has no positions of its own.
import { LiteGraph, type LGraph, type LGraphNode } from '../litegraph-adapter.js';
import { widgetsOf } from '../node-classes.js';

/** True when a parsed JSON value looks like an API prompt rather than a UI workflow. */
export function isApiPrompt(value: unknown): value is Record<string, { class_type: string; inputs?: Record<string, unknown> }> {
  if (!value || typeof value !== 'object' || Array.isArray(value) || 'nodes' in value) return false;
  const entries = Object.values(value as Record<string, unknown>);
  return entries.length > 0 && entries.every((e) => !!e && typeof e === 'object' && typeof (e as { class_type?: unknown }).class_type === 'string');
}

function isLink(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && (typeof value[0] === 'string' || typeof value[0] === 'number') && typeof value[1] === 'number';
}

/**
 * Replaces the graph with the prompt's nodes; returns the class types this server does not know (those entries are
 * skipped). Throws Error when the prompt has no node the server knows.
 */
export function loadPromptInto(graph: LGraph, prompt: Record<string, { class_type: string; inputs?: Record<string, unknown>; _meta?: { title?: string } }>): string[] {
  graph.clear();
  const missing = new Set<string>();
  const nodes = new Map<string, LGraphNode>();
  for (const [id, entry] of Object.entries(prompt)) {
    const node = LiteGraph.createNode(entry.class_type);
    if (!node) {
      missing.add(entry.class_type);
      continue;
    }
    node.id = Number(id) as never;
    if (entry._meta?.title) node.title = entry._meta.title;
    graph.add(node);
    nodes.set(id, node);
  }
  if (!nodes.size) throw new Error(`none of the prompt's node types exist on this server (${[...missing].join(', ')})`);
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen = new Set<string>()): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0;
    seen.add(id);
    const inputs = Object.values(prompt[id]?.inputs ?? {}).filter(isLink);
    const d = inputs.length ? 1 + Math.max(...inputs.map(([source]) => depthOf(String(source), seen))) : 0;
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  for (const [id, node] of nodes) {
    const entry = prompt[id]!;
    for (const [name, value] of Object.entries(entry.inputs ?? {})) {
      if (isLink(value)) {
        const source = nodes.get(String(value[0]));
        const slot = (node.inputs ?? []).findIndex((input) => input.name === name);
        if (source && slot >= 0) source.connect(value[1], node, slot);
        continue;
      }
      const widget = widgetsOf(node).find((w) => w.name === name);
      if (widget) widget.value = value && typeof value === 'object' && '__value__' in value ? (value as { __value__: unknown }).__value__ : value;
    }
    const column = depthOf(id);
    const row = rows.get(column) ?? 0;
    node.pos = [40 + column * 340, 40 + row];
    rows.set(column, row + node.size[1] + 60);
  }
  return [...missing];
}
