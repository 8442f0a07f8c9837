// Strength nodes and the strengths a run used. A node counts as a strength node when it outputs STRENGTH and has
// a slider: this follows the server's declaration instead of a hard-coded class name.
import type { LGraphNode } from '../litegraph-adapter.js';
import type { Prompt } from '../../../server/engine/api.js';
import { widgetsOf } from '../node-classes.js';
import type { AnyWidget } from '../litegraph-adapter.js';
// Pure and shared with the server's Strength node, so the explorer labels frames by the very rule that made them.
import { resolveStrengths, type StrengthWidgets } from '../../../nodes/kontext/strength-values.js';

/** True when a node's outputs include a STRENGTH socket. */
export function isStrengthNode(node: LGraphNode): boolean {
  return (node.outputs ?? []).some((o) => o.type === 'STRENGTH');
}

/** The slider that sets a strength node's single value. */
export function strengthSlider(node: LGraphNode): AnyWidget | undefined {
  const widgets = widgetsOf(node);
  return widgets.find((w) => w.type === 'slider') ?? widgets.find((w) => w.type === 'number' && /strength|value/i.test(w.name));
}

/** The strengths a Strength node's inputs describe (the server's own rule), or null when they are invalid. */
export function strengthsFromInputs(inputs: Record<string, unknown>): number[] | null {
  try {
    return resolveStrengths({
      mode: String(inputs.mode ?? 'single') as StrengthWidgets['mode'],
      value: Number(inputs.value),
      start: Number(inputs.start),
      end: Number(inputs.end),
      count: Number(inputs.count),
      list: String(inputs.list ?? ''),
    });
  } catch {
    return null;
  }
}

/** The strengths of the (first) strength node in a prompt, or null when it has none. */
export function strengthsOfPrompt(prompt: Prompt, strengthClass = 'KontextStrength'): number[] | null {
  for (const node of Object.values(prompt)) {
    if (node.class_type === strengthClass) return strengthsFromInputs(node.inputs);
  }
  return null;
}

/** The source image (Load Image's file) of a prompt, as a combo value, if there is one. */
export function sourceImageOfPrompt(prompt: Prompt): string | null {
  for (const node of Object.values(prompt)) {
    if (node.class_type === 'LoadImage' && typeof node.inputs.image === 'string') return node.inputs.image;
  }
  return null;
}

/** The strengths a node reported rendering in its `executed` output (Kontext Denoise with even change), or null. */
export function reportedStrengths(output: Record<string, unknown> | undefined): number[] | null {
  const strengths = output?.strengths;
  if (!Array.isArray(strengths) || strengths.length === 0) return null;
  return strengths.every((s) => typeof s === 'number' && Number.isFinite(s)) ? (strengths as number[]) : null;
}
