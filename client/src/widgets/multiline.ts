// A multi-line text widget. litegraph draws only single-line text boxes, so this one draws the wrapped text itself
// and edits it in a real <textarea> laid over the canvas (keyboard, selection and IME all work as in any page).
import { LiteGraph, type AnyWidget, type LGraphCanvas, type LGraphNode } from '../litegraph-adapter.js';

const LINE_HEIGHT = 15;
const MIN_LINES = 3;

function wrapLines(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const candidate = line ? `${line} ${word}` : word;
      if (ctx.measureText(candidate).width > width && line) {
        lines.push(line);
        line = word;
      } else line = candidate;
    }
    lines.push(line);
  }
  return lines;
}

/** Adds a multi-line text widget; `getCanvas` returns the canvas the overlay editor positions itself against. */
export function addMultilineWidget(node: LGraphNode, name: string, value: string, getCanvas: () => LGraphCanvas | undefined, onChange: () => void): AnyWidget {
  const widget: AnyWidget = {
    name,
    type: 'multiline',
    value,
    options: { multiline: true },
    y: 0,
    computeSize(width?: number) {
      return [width ?? 200, LINE_HEIGHT * MIN_LINES + 12];
    },
    draw(ctx, drawNode, width, y) {
      const height = LINE_HEIGHT * MIN_LINES + 8;
      ctx.fillStyle = LiteGraph.WIDGET_BGCOLOR;
      ctx.strokeStyle = LiteGraph.WIDGET_OUTLINE_COLOR;
      ctx.beginPath();
      ctx.roundRect(15, y, width - 30, height, 6);
      ctx.fill();
      ctx.stroke();
      ctx.save();
      ctx.beginPath();
      ctx.rect(15, y, width - 30, height);
      ctx.clip();
      ctx.font = '12px sans-serif';
      const text = String(widget.value ?? '');
      ctx.fillStyle = text ? LiteGraph.WIDGET_TEXT_COLOR : LiteGraph.WIDGET_SECONDARY_TEXT_COLOR;
      const lines = text ? wrapLines(ctx, text, width - 44) : [name];
      lines.slice(0, MIN_LINES).forEach((line, i) => ctx.fillText(line, 22, y + 16 + i * LINE_HEIGHT));
      ctx.restore();
      void drawNode;
    },
    mouse(event, _pos, mouseNode) {
      // Open on release: opening on press would lose focus to the canvas when the same click ends.
      if (event.type !== 'pointerup') return false;
      const canvas = getCanvas();
      if (canvas) openEditor(canvas, mouseNode, widget, onChange);
      return true;
    },
  };
  node.addCustomWidget(widget as never);
  return widget;
}

function openEditor(canvas: LGraphCanvas, node: LGraphNode, widget: AnyWidget, onChange: () => void): void {
  const rect = canvas.canvas.getBoundingClientRect();
  const scale = canvas.ds.scale;
  const [ox, oy] = canvas.ds.offset;
  const area = document.createElement('textarea');
  area.className = 'kx-multiline-editor';
  area.value = String(widget.value ?? '');
  area.setAttribute('aria-label', widget.name);
  Object.assign(area.style, {
    left: `${rect.left + (node.pos[0] + 15 + ox) * scale}px`,
    top: `${rect.top + (node.pos[1] + widget.y + oy) * scale}px`,
    width: `${(node.size[0] - 30) * scale}px`,
    height: `${Math.max(80, (LINE_HEIGHT * 5) * scale)}px`,
    fontSize: `${Math.max(11, 12 * scale)}px`,
  });
  const commit = () => {
    if (area.value !== widget.value) {
      widget.value = area.value;
      widget.callback?.(area.value);
      onChange();
    }
    area.remove();
    canvas.setDirty(true, true);
  };
  area.addEventListener('blur', commit);
  area.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Escape') area.blur();
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) area.blur();
  });
  document.body.appendChild(area);
  area.focus();
}
