// Widgets from /object_info input specs: number, slider, choice, single- and multi-line text, toggle, plus the
// "control after generate" choice that ComfyUI front ends put after a seed (fixed, increment, decrement, randomize).
import type { AnyWidget, LGraphCanvas, LGraphNode } from '../litegraph-adapter.js';
import type { InputSpecTuple } from '../api.js';
import { addMultilineWidget } from './multiline.js';

/** Input types that become widgets (everything else is a socket). */
export const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);
/** The choices of the "control after generate" widget, as ComfyUI saves them. */
export const SEED_CONTROL_VALUES = ['fixed', 'increment', 'decrement', 'randomize'] as const;
/** Name of that widget (it is not an input of the node: never sent to the server). */
export const SEED_CONTROL_NAME = 'control_after_generate';

/** True when an input spec becomes a widget rather than a socket. */
export function isWidgetSpec(spec: InputSpecTuple): boolean {
  const [type, opts] = spec;
  if (opts?.forceInput) return false;
  return Array.isArray(type) || WIDGET_TYPES.has(type);
}

/** True for the INT widgets that get a "control after generate" companion (ComfyUI's convention). */
export function isSeedInput(name: string, spec: InputSpecTuple): boolean {
  return spec[0] === 'INT' && (name === 'seed' || name === 'noise_seed');
}

function decimalsOf(step: number): number {
  const text = String(step);
  return text.includes('.') ? text.split('.')[1]!.length : 0;
}

/** Rounds a number to a widget's step and clamps it to its range. */
export function snapNumber(value: number, opts: Record<string, unknown>, integer: boolean): number {
  const step = Number(opts.round || opts.step || (integer ? 1 : 0));
  let v = value;
  if (step > 0) {
    const base = Number(opts.min ?? 0);
    v = base + Math.round((v - base) / step) * step;
    v = Number(v.toFixed(decimalsOf(step)));
  }
  if (integer) v = Math.round(v);
  if (opts.min != null) v = Math.max(Number(opts.min), v);
  if (opts.max != null) v = Math.min(Number(opts.max), v);
  return v;
}

/** What widget builders need from the app. */
export interface WidgetHost {
  canvas(): LGraphCanvas | undefined;
  changed(node: LGraphNode): void;
}

/** Adds the widget(s) for one input spec and returns the main widget. */
export function addWidgetForInput(node: LGraphNode, name: string, spec: InputSpecTuple, host: WidgetHost): AnyWidget {
  const [type, rawOpts] = spec;
  const opts = rawOpts ?? {};
  const tooltip = typeof opts.tooltip === 'string' ? opts.tooltip : undefined;
  let widget: AnyWidget;
  if (Array.isArray(type) || type === 'COMBO') {
    const values = Array.isArray(type) ? [...type] : [...((opts.options as string[]) ?? [])];
    const initial = opts.default ?? values[0] ?? '';
    widget = node.addWidget('combo', name, initial as string, () => undefined, { values }) as unknown as AnyWidget;
  } else if (type === 'INT' || type === 'FLOAT') {
    const integer = type === 'INT';
    const step = Number(opts.step ?? (integer ? 1 : 0.01));
    const precision = integer ? 0 : Math.min(6, decimalsOf(Number(opts.round || step)));
    const initial = Number(opts.default ?? opts.min ?? 0);
    const options = { min: opts.min as number | undefined, max: opts.max as number | undefined, step2: step, step: step * 10, precision, round: opts.round };
    const kind = opts.display === 'slider' && opts.min != null && opts.max != null ? 'slider' : 'number';
    widget = node.addWidget(kind, name, initial, (v: number) => {
      const snapped = snapNumber(v, opts, integer);
      if (snapped !== widget.value) widget.value = snapped;
    }, options as never) as unknown as AnyWidget;
  } else if (type === 'BOOLEAN') {
    widget = node.addWidget('toggle', name, Boolean(opts.default), () => undefined, { on: (opts.label_on as string) ?? 'true', off: (opts.label_off as string) ?? 'false' }) as unknown as AnyWidget;
  } else if (opts.multiline) {
    widget = addMultilineWidget(node, name, String(opts.default ?? ''), host.canvas, () => host.changed(node));
  } else {
    widget = node.addWidget('text', name, String(opts.default ?? ''), () => undefined, {}) as unknown as AnyWidget;
  }
  if (tooltip) widget.tooltip = tooltip;
  if (isSeedInput(name, spec)) {
    const control = node.addWidget('combo', SEED_CONTROL_NAME, 'fixed', () => undefined, { values: [...SEED_CONTROL_VALUES] }) as unknown as AnyWidget;
    control.tooltip = 'What happens to the seed after each queued run: keep it, step it, or draw a new one.';
    control.linkedTo = widget;
  }
  return widget;
}

/** Applies the "control after generate" of every seed widget on a node (after a run was queued). */
export function applySeedControls(node: LGraphNode): void {
  const widgets = (node.widgets ?? []) as unknown as AnyWidget[];
  for (const control of widgets) {
    if (control.name !== SEED_CONTROL_NAME || !control.linkedTo) continue;
    const seed = control.linkedTo as AnyWidget;
    const min = Number(seed.options.min ?? 0);
    const max = Math.min(Number(seed.options.max ?? 2 ** 32 - 1), Number.MAX_SAFE_INTEGER);
    const current = Number(seed.value);
    if (control.value === 'increment') seed.value = current + 1 > max ? min : current + 1;
    else if (control.value === 'decrement') seed.value = current - 1 < min ? max : current - 1;
    else if (control.value === 'randomize') seed.value = min + Math.floor(Math.random() * (Math.min(max, 2 ** 48) - min + 1));
  }
}
