// How execution state shows on nodes: a green outline on the running node (with litegraph's progress bar), a
// "cached" badge, how long each node that ran took, what a node said about its run (a note under it), and for
// errors a red outline, an error badge and the message itself drawn under the node.
// Every node also carries its id (#6), the name prompts and the CLI use for it.
import { LGraphBadge, type LGraphCanvas, type LGraphNode } from '../litegraph-adapter.js';
import { viewOf } from '../node-state.js';

/** Rebuilds a node's badges and outline from its view state. */
export function refreshNodeState(node: LGraphNode): void {
  const view = viewOf(node);
  // The node's id, as the API prompt, the CLI's `--set <id>.<input>` and the server's error messages name it.
  const badges: LGraphBadge[] = [new LGraphBadge({ text: `#${node.id}`, bgColor: '#262b33', fgColor: '#8b949e' })];
  if (view.missingType) badges.push(new LGraphBadge({ text: 'missing node type', bgColor: '#b62324', fgColor: '#fff' }));
  else if (view.error) badges.push(new LGraphBadge({ text: '⚠ error', bgColor: '#b62324', fgColor: '#fff' }));
  else if (view.notice) badges.push(new LGraphBadge({ text: '⚠ note', bgColor: '#9e6a03', fgColor: '#fff' }));
  if (view.live) badges.push(new LGraphBadge({ text: '● LIVE', bgColor: '#1f6f3f', fgColor: '#d2ffd9' }));
  if (view.rendered) badges.push(new LGraphBadge({ text: renderedBadge(view.rendered), bgColor: '#1c3a5e', fgColor: '#cfe3ff' }));
  if (view.cached) badges.push(new LGraphBadge({ text: 'cached', bgColor: '#30363d', fgColor: '#8b949e' }));
  else if (view.ranMs !== undefined && !view.running) badges.push(new LGraphBadge({ text: formatRunTime(view.ranMs), bgColor: '#30363d', fgColor: '#c9d1d9' }));
  if (view.running) badges.push(new LGraphBadge({ text: 'running', bgColor: '#1f6f3f', fgColor: '#fff' }));
  node.badges = badges;
  node.has_errors = Boolean(view.error || view.missingType);
  const styles = node.strokeStyles as Record<string, (this: LGraphNode) => unknown>;
  styles.running ??= function (this: LGraphNode) {
    return viewOf(this).running ? { color: '#3fb950', lineWidth: 3, padding: 6 } : undefined;
  };
  node.setDirtyCanvas(true, true);
}

/** A node's run time as its badge shows it: whole milliseconds under a second, then tenths of seconds. */
export function formatRunTime(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What a badge says about re-spaced strengths: the one strength rendered, or how many a sweep re-spaced. */
export function renderedBadge(strengths: number[]): string {
  return strengths.length === 1 ? `even change: s ${strengths[0]!.toFixed(2)}` : `even change: ${strengths.length} strengths`;
}

function wrap(ctx: CanvasRenderingContext2D, text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const candidate = line ? `${line} ${word}` : word;
    if (ctx.measureText(candidate).width > width && line) {
      lines.push(line);
      line = word;
      if (lines.length === maxLines) break;
    } else line = candidate;
  }
  if (lines.length < maxLines && line) lines.push(line);
  return lines;
}

/** Muted nodes are greyed out, bypassed ones tinted purple, as in ComfyUI, without touching their saved colours. */
function drawModeVeil(ctx: CanvasRenderingContext2D, node: LGraphNode): void {
  const bypassed = node.mode === 4;
  const title = 30;
  ctx.save();
  ctx.fillStyle = bypassed ? 'rgba(160, 60, 200, 0.35)' : 'rgba(10, 10, 12, 0.55)';
  ctx.fillRect(node.pos[0], node.pos[1] - title, node.size[0], node.size[1] + title);
  ctx.fillStyle = bypassed ? '#e3b5ff' : '#9aa4b2';
  ctx.font = 'bold 12px sans-serif';
  ctx.fillText(bypassed ? 'BYPASSED' : 'MUTED', node.pos[0] + node.size[0] - 80, node.pos[1] - 10);
  ctx.restore();
}

const ERROR_COLOURS = { fill: 'rgba(90, 18, 18, 0.92)', stroke: '#f85149', text: '#ffdcd7' };
const NOTICE_COLOURS = { fill: 'rgba(61, 46, 0, 0.92)', stroke: '#d29922', text: '#f8e3a1' };

/** A message box under a node: wrapped to the node's width (at least 220 px), at most 5 lines. */
function drawMessage(ctx: CanvasRenderingContext2D, node: LGraphNode, message: string, colours: typeof ERROR_COLOURS): void {
  ctx.save();
  ctx.font = '12px sans-serif';
  const width = Math.max(node.size[0], 220);
  const lines = wrap(ctx, message, width - 16, 5);
  const top = node.pos[1] + node.size[1] + 8;
  ctx.fillStyle = colours.fill;
  ctx.strokeStyle = colours.stroke;
  ctx.beginPath();
  ctx.roundRect(node.pos[0], top, width, lines.length * 15 + 10, 6);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = colours.text;
  lines.forEach((text, i) => ctx.fillText(text, node.pos[0] + 8, top + 17 + i * 15));
  ctx.restore();
}

/** Draws error messages (or, without one, a node's note) under their nodes, in graph space, after litegraph drew the nodes. */
export function installErrorOverlay(canvas: LGraphCanvas): void {
  const previous = canvas.onDrawForeground;
  canvas.onDrawForeground = (ctx, area) => {
    previous?.(ctx, area);
    for (const node of canvas.graph?.nodes ?? []) {
      if (node.mode === 2 || node.mode === 4) drawModeVeil(ctx, node);
      if (node.flags?.collapsed) continue;
      const { error, notice } = viewOf(node);
      if (error) drawMessage(ctx, node, error, ERROR_COLOURS);
      else if (notice) drawMessage(ctx, node, notice, NOTICE_COLOURS);
    }
  };
}
