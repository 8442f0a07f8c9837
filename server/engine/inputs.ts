// Facts about input declarations shared by object_info, validation, the converter and the executor.
import type { InputSpec, NodeDefinition, WidgetType } from './node-definition.js';

const WIDGET_TYPES: ReadonlySet<string> = new Set<WidgetType>(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);

/** True for value types edited in a widget (INT FLOAT STRING BOOLEAN COMBO); anything else is a socket. */
export function isWidgetType(type: string): type is WidgetType {
  return WIDGET_TYPES.has(type);
}

/** True when the input is shown as a widget on the node (and so fills a slot of `widgets_values`). */
export function isWidgetInput(spec: InputSpec): boolean {
  return isWidgetType(spec.type) && !spec.forceInput;
}

/** The combo choices of an input, evaluating a choices function now (lists of files change over time). */
export function choicesOf(spec: InputSpec): readonly string[] {
  const c = spec.choices;
  if (c === undefined) return [];
  return typeof c === 'function' ? c() : c;
}

export interface NamedInput {
  name: string;
  spec: InputSpec;
  required: boolean;
}

/** Required then optional inputs, each in declaration order (the order widgets_values follows). */
export function orderedInputs(def: NodeDefinition): NamedInput[] {
  const list: NamedInput[] = [];
  for (const [name, spec] of Object.entries(def.inputs.required)) list.push({ name, spec, required: true });
  for (const [name, spec] of Object.entries(def.inputs.optional ?? {})) list.push({ name, spec, required: false });
  return list;
}

/** ComfyUI's input spec tuple: [TYPE, opts], or [[choices], opts] for a combo. */
export function describeInput(spec: InputSpec): [string | string[], Record<string, unknown>] {
  const opts: Record<string, unknown> = {};
  if (spec.default !== undefined) opts.default = spec.default;
  if (spec.min !== undefined) opts.min = spec.min;
  if (spec.max !== undefined) opts.max = spec.max;
  if (spec.step !== undefined) opts.step = spec.step;
  if (spec.round !== undefined) opts.round = spec.round;
  if (spec.multiline !== undefined) opts.multiline = spec.multiline;
  if (spec.tooltip !== undefined) opts.tooltip = spec.tooltip;
  if (spec.display !== undefined) opts.display = spec.display;
  if (spec.forceInput) opts.forceInput = true;
  if (spec.imageUpload) opts.image_upload = true;
  if (spec.type === 'COMBO') return [[...choicesOf(spec)], opts];
  return [spec.type, opts];
}
