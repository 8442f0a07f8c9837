// Node classes built from the server's /object_info, never written by hand: a node is declared once, on the
// server, and the editor derives sockets, widgets, tooltips and colours from that declaration.
import { LGraphNode, LiteGraph, type AnyWidget } from './litegraph-adapter.js';
import type { InputSpecTuple, NodeInfo, ObjectInfo } from './api.js';
import { addWidgetForInput, isSeedInput, isWidgetSpec, SEED_CONTROL_VALUES, type WidgetHost } from './widgets/create-widgets.js';
import { addImageDisplay } from './widgets/image-display.js';
import { addImageUpload, type UploadHost } from './widgets/image-upload.js';
import { addMaskEditing } from './mask/load-image-mask.js';
import { viewOf } from './node-state.js';

/** What node classes need from the app at construction time. */
export type NodeHost = WidgetHost & UploadHost;

/** Input names of a class in declaration order, each with its spec and whether it is optional. */
export function orderedInputs(info: NodeInfo): Array<{ name: string; spec: InputSpecTuple; optional: boolean }> {
  const out: Array<{ name: string; spec: InputSpecTuple; optional: boolean }> = [];
  for (const group of ['required', 'optional'] as const) {
    const specs = info.input?.[group] ?? {};
    const order = info.input_order?.[group] ?? Object.keys(specs);
    for (const name of order) if (specs[name]) out.push({ name, spec: specs[name]!, optional: group === 'optional' });
  }
  return out;
}

function hasImageUpload(spec: InputSpecTuple): boolean {
  const opts = spec[1] ?? {};
  return Boolean(opts.image_upload ?? opts.imageUpload);
}

/**
 * ComfyUI front ends save a "control after generate" value after each seed; workflows written by other tools may
 * not. Insert the default where it is missing so positional widget values land on the right widgets.
 */
export function alignWidgetValues(info: NodeInfo, values: unknown[]): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  for (const { name, spec } of orderedInputs(info)) {
    if (!isWidgetSpec(spec)) continue;
    if (i < values.length) out.push(values[i++]);
    if (isSeedInput(name, spec)) {
      const next = values[i];
      if (typeof next === 'string' && (SEED_CONTROL_VALUES as readonly string[]).includes(next)) out.push(values[i++]);
      else out.push('fixed');
    }
  }
  while (i < values.length) out.push(values[i++]);
  return out;
}

function buildClass(type: string, info: NodeInfo, host: NodeHost): typeof LGraphNode {
  const inputs = orderedInputs(info);
  class ServerNode extends LGraphNode {
    static override title = info.display_name || type;
    static override category = info.category || 'other';
    static description = info.description ?? '';
    override comfyClass = type;
    constructor(title?: string) {
      super(title ?? info.display_name ?? type);
      this.serialize_widgets = true;
      viewOf(this).info = info;
      for (const { name, spec, optional } of inputs) {
        const opts = spec[1] ?? {};
        if (isWidgetSpec(spec)) {
          const widget = addWidgetForInput(this, name, spec, host);
          if (hasImageUpload(spec)) {
            addImageUpload(this, widget, host);
            addMaskEditing(this, widget, host);
          }
        } else {
          const slot = this.addInput(name, spec[0] as string, { tooltip: opts.tooltip as string | undefined } as never);
          if (optional) (slot as { label?: string }).label = `${name} (optional)`;
        }
      }
      info.output.forEach((outputType, i) => {
        const name = info.output_name?.[i] ?? outputType;
        const shape = info.output_is_list?.[i] ? LiteGraph.GRID_SHAPE : undefined;
        this.addOutput(name, outputType, { tooltip: info.output_tooltips?.[i], shape } as never);
      });
      if (info.output_node || inputs.some(({ spec }) => hasImageUpload(spec))) addImageDisplay(this);
      this.onWidgetChanged = () => host.changed(this);
      const size = this.computeSize();
      this.setSize([Math.max(size[0], 240), size[1] + (info.output_node ? 200 : 0)]);
    }
    override configure(data: Parameters<LGraphNode['configure']>[0]): void {
      const values = (data as { widgets_values?: unknown[] }).widgets_values;
      if (Array.isArray(values)) (data as { widgets_values?: unknown[] }).widgets_values = alignWidgetValues(info, values);
      super.configure(data);
      (this as { refreshInputImage?: () => void }).refreshInputImage?.();
    }
  }
  return ServerNode as unknown as typeof LGraphNode;
}

/** Registers one litegraph class per /object_info entry (replacing earlier ones) and returns their names. */
export function registerNodeClasses(objectInfo: ObjectInfo, host: NodeHost): string[] {
  const names: string[] = [];
  for (const [type, info] of Object.entries(objectInfo)) {
    LiteGraph.registerNodeType(type, buildClass(type, info, host));
    names.push(type);
  }
  return names;
}

/** The node's widgets as the editor sees them (litegraph's own type is a closed union). */
export function widgetsOf(node: LGraphNode): AnyWidget[] {
  return (node.widgets ?? []) as unknown as AnyWidget[];
}
