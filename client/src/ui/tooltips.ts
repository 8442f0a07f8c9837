// Tooltips from the server's node declarations: hovering a node title shows its description, a socket or a widget
// its input's tooltip. The texts come from /object_info, so a node's docs are written once, on the server.
import type { App } from '../app.js';
import { viewOf } from '../node-state.js';
import { LiteGraph } from '../litegraph-adapter.js';
import { h } from './dom.js';

/** The tooltip text for a point on the canvas (graph coordinates), or null. */
export function tooltipAt(app: App, x: number, y: number): string | null {
  const node = app.graph.getNodeOnPos(x, y);
  if (!node) return null;
  const view = viewOf(node);
  if (view.error && y < node.pos[1]) return view.error;
  if (y < node.pos[1]) return view.info?.description || null;
  const slot = node.getSlotOnPos([x, y]) as { name?: string; tooltip?: string; type?: unknown } | undefined;
  if (slot) {
    const index = (node.outputs ?? []).indexOf(slot as never);
    if (index >= 0) return view.info?.output_tooltips?.[index] ?? slot.tooltip ?? `${slot.name}: ${String(slot.type)}`;
    return slot.tooltip ?? `${slot.name}: ${String(slot.type)}`;
  }
  const widget = node.getWidgetOnPos(x, y) as { tooltip?: string } | undefined;
  if (widget?.tooltip) return widget.tooltip;
  return y < node.pos[1] + LiteGraph.NODE_SLOT_HEIGHT ? view.info?.description || null : null;
}

/** Shows tooltips after the pointer rests on the canvas for a moment. */
export function installTooltips(app: App, canvasElement: HTMLCanvasElement): void {
  const tip = h('div', { class: 'kx-tooltip', role: 'tooltip', hidden: true });
  document.body.append(tip);
  let timer: ReturnType<typeof setTimeout> | undefined;
  canvasElement.addEventListener('pointermove', (e) => {
    tip.hidden = true;
    clearTimeout(timer);
    if (e.buttons) return;
    timer = setTimeout(() => {
      const [x, y] = app.canvas.convertEventToCanvasOffset(e);
      const text = tooltipAt(app, x, y);
      if (!text) return;
      tip.textContent = text;
      tip.style.left = `${e.clientX + 14}px`;
      tip.style.top = `${e.clientY + 14}px`;
      tip.hidden = false;
    }, 450);
  });
  canvasElement.addEventListener('pointerleave', () => {
    clearTimeout(timer);
    tip.hidden = true;
  });
}
