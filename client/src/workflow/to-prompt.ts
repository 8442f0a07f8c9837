// The live graph -> ComfyUI API prompt. Muted nodes are dropped, bypassed nodes are wired around (an input fed by
// a bypassed node takes that node's first input of the same type), virtual nodes (reroutes) are seen through, and
// placeholders for unknown node types are left out together with everything that depends on them.
import type { LGraph, LGraphNode } from '../litegraph-adapter.js';
import type { Prompt } from '../../../server/engine/api.js';
import { classTypeOf, viewOf } from '../node-state.js';
import { widgetsOf } from '../node-classes.js';
import { SEED_CONTROL_NAME } from '../widgets/create-widgets.js';

/** litegraph node modes that matter for prompts (ComfyUI's numbering). */
export const MODE_ALWAYS = 0;
export const MODE_MUTED = 2;
export const MODE_BYPASSED = 4;

/** The prompt plus what had to be left out and why. */
export interface PromptBuild {
  prompt: Prompt;
  /** Node ids left out, each with the reason a person reads. */
  skipped: Record<string, string>;
}

type Source = { node: LGraphNode; slot: number } | { value: unknown } | null;

function isVirtual(node: LGraphNode): boolean {
  return Boolean((node as LGraphNode & { isVirtualNode?: boolean }).isVirtualNode);
}

/** Follows a link back through reroute nodes and bypassed nodes to the node that really produces the value. */
function resolveSource(graph: LGraph, node: LGraphNode, inputIndex: number, seen = new Set<LGraphNode>()): Source {
  const input = node.inputs?.[inputIndex];
  if (!input || input.link == null) return null;
  const link = graph.getLink(input.link);
  if (!link) return null;
  const origin = graph.getNodeById(link.origin_id);
  if (!origin || seen.has(origin)) return null;
  seen.add(origin);
  if (origin.mode === MODE_MUTED) return null;
  if ('primitiveValue' in origin) return { value: (origin as LGraphNode & { primitiveValue: unknown }).primitiveValue };
  if (isVirtual(origin)) return resolveSource(graph, origin, 0, seen);
  if (origin.mode === MODE_BYPASSED) {
    // As ComfyUI does: the input at the same index as the output read if its type fits, else the first that fits.
    const type = origin.outputs?.[link.origin_slot]?.type;
    const inputs = origin.inputs ?? [];
    const fits = (i: number) => inputs[i] !== undefined && inputs[i]!.type === type && inputs[i]!.link != null;
    const through = fits(link.origin_slot) ? link.origin_slot : inputs.findIndex((_, i) => fits(i));
    return through >= 0 ? resolveSource(graph, origin, through, seen) : null;
  }
  return { node: origin, slot: link.origin_slot };
}

function literal(value: unknown): unknown {
  return Array.isArray(value) ? { __value__: value } : value;
}

/** Builds the API prompt of a graph; never throws for unknown nodes (they are reported in `skipped`). */
export function graphToPrompt(graph: LGraph): PromptBuild {
  const prompt: Prompt = {};
  const skipped: Record<string, string> = {};
  const nodes = [...graph.nodes].sort((a, b) => Number(a.id) - Number(b.id));
  for (const node of nodes) {
    const id = String(node.id);
    if (isVirtual(node)) continue;
    if (node.mode === MODE_MUTED || node.mode === MODE_BYPASSED) continue;
    const missing = viewOf(node).missingType;
    if (missing) {
      skipped[id] = `node type "${missing}" is not installed on this server`;
      continue;
    }
    const inputs: Record<string, unknown> = {};
    for (const widget of widgetsOf(node)) {
      if (widget.serialize === false || widget.name === SEED_CONTROL_NAME || widget.type === 'button') continue;
      inputs[widget.name] = literal(widget.value);
    }
    (node.inputs ?? []).forEach((input, index) => {
      const source = resolveSource(graph, node, index);
      // An input slot standing for a widget carries the widget's name; a link into it replaces the widget value.
      const name = (input as { widget?: { name: string } }).widget?.name ?? input.name;
      if (source && 'value' in source) inputs[name] = literal(source.value);
      else if (source) inputs[name] = [String(source.node.id), source.slot];
    });
    prompt[id] = { class_type: classTypeOf(node), inputs, _meta: { title: node.title } };
  }
  // Drop whatever depends on a skipped node, transitively, so the rest of the graph still runs.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [id, entry] of Object.entries(prompt)) {
      const bad = Object.values(entry.inputs).find((v) => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !(v[0] in prompt));
      if (bad) {
        const from = (bad as [string, number])[0];
        skipped[id] = skipped[from] ? `it depends on node ${from}, which was left out` : `its input from node ${from} is missing`;
        delete prompt[id];
        changed = true;
      }
    }
  }
  return { prompt, skipped };
}
