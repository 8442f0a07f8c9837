// Front-end-only node types that ComfyUI workflows contain: Reroute (a dot that forwards a link), Note and
// MarkdownNote (text on the canvas), PrimitiveNode (one value feeding widget inputs). They never reach the server:
// the prompt builder sees through them (workflow/to-prompt.ts), as the engine's own converter does.
import { LGraphNode, LiteGraph, type AnyWidget } from '../litegraph-adapter.js';
import { addMultilineWidget } from '../widgets/multiline.js';
import type { WidgetHost } from '../widgets/create-widgets.js';

/** Node types that exist only in the editor. */
export const VIRTUAL_TYPES = ['Reroute', 'Note', 'MarkdownNote', 'PrimitiveNode'] as const;

/** Registers the virtual node classes. */
export function registerVirtualNodes(host: WidgetHost): void {
  class RerouteNode extends LGraphNode {
    static override title = 'Reroute';
    static override category = 'utils';
    override isVirtualNode = true;
    constructor(title?: string) {
      super(title ?? 'Reroute');
      this.addInput('', '*');
      this.addOutput('', '*');
      this.setSize([75, 26]);
    }
  }

  const noteClass = (type: string) =>
    class NoteNode extends LGraphNode {
      static override title = type === 'Note' ? 'Note' : 'Markdown Note';
      static override category = 'utils';
      override isVirtualNode = true;
      constructor(title?: string) {
        super(title ?? type);
        this.serialize_widgets = true;
        addMultilineWidget(this, 'text', '', host.canvas, () => host.changed(this));
        this.color = '#433d1c';
        this.bgcolor = '#2d2a18';
        this.setSize([300, 120]);
      }
    };

  class PrimitiveNode extends LGraphNode {
    static override title = 'Primitive';
    static override category = 'utils';
    override isVirtualNode = true;
    constructor(title?: string) {
      super(title ?? 'Primitive');
      this.serialize_widgets = true;
      this.addOutput('connect to widget input', '*');
    }
    override configure(data: Parameters<LGraphNode['configure']>[0]): void {
      // The widget follows the value's own type: a primitive saved by ComfyUI carries [value, control?].
      const values = (data as { widgets_values?: unknown[] }).widgets_values ?? [];
      const value = values[0];
      if (!this.widgets?.length) {
        if (typeof value === 'number') this.addWidget('number', 'value', value, () => host.changed(this), { step2: Number.isInteger(value) ? 1 : 0.01, precision: Number.isInteger(value) ? 0 : 3 } as never);
        else if (typeof value === 'boolean') this.addWidget('toggle', 'value', value, () => host.changed(this), {});
        else this.addWidget('text', 'value', String(value ?? ''), () => host.changed(this), {});
        if (values.length > 1) this.addWidget('combo', 'control_after_generate', String(values[1]), () => undefined, { values: ['fixed', 'increment', 'decrement', 'randomize'] });
      }
      super.configure(data);
    }
    /** The value this primitive feeds into widget inputs. */
    get primitiveValue(): unknown {
      return (this.widgets?.[0] as AnyWidget | undefined)?.value;
    }
  }

  LiteGraph.registerNodeType('Reroute', RerouteNode as unknown as typeof LGraphNode);
  LiteGraph.registerNodeType('Note', noteClass('Note') as unknown as typeof LGraphNode);
  LiteGraph.registerNodeType('MarkdownNote', noteClass('MarkdownNote') as unknown as typeof LGraphNode);
  LiteGraph.registerNodeType('PrimitiveNode', PrimitiveNode as unknown as typeof LGraphNode);
}
