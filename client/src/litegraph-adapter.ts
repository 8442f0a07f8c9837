// The one module that imports litegraph. Everything else in the client imports the canvas library from here, so an
// upgrade or a swap of @comfyorg/litegraph (pinned exactly in package.json) touches this file only. Its stylesheet is
// copied next to the bundle by client/build.ts (a CSS import here would stop Node tests from loading this module).
import { LGraph, LGraphBadge, LGraphCanvas, LGraphGroup, LGraphNode, LiteGraph } from '@comfyorg/litegraph';

export { LGraph, LGraphBadge, LGraphCanvas, LGraphGroup, LGraphNode, LiteGraph };
export type {
  IContextMenuValue,
  INodeInputSlot,
  INodeOutputSlot,
  ISerialisedGraph,
  IWidget,
  LLink,
  Point,
} from '@comfyorg/litegraph';

/** A widget as nodes hold them (litegraph's union is too narrow for custom widgets). */
export interface AnyWidget {
  name: string;
  type: string;
  value: unknown;
  options: Record<string, unknown>;
  label?: string;
  tooltip?: string;
  serialize?: boolean;
  disabled?: boolean;
  y: number;
  callback?: (value: unknown, ...rest: unknown[]) => void;
  draw?(ctx: CanvasRenderingContext2D, node: LGraphNode, width: number, y: number, height: number): void;
  mouse?(event: PointerEvent, pos: [number, number], node: LGraphNode): boolean;
  computeSize?(width?: number): [number, number];
  [extra: string]: unknown;
}

/** Colours per socket type, shared by links and slots. */
export const SOCKET_COLOURS: Record<string, string> = {
  IMAGE: '#64b5f6',
  LATENT: '#ff9cf9',
  CONDITIONING: '#ffa931',
  STRENGTH: '#7ee787',
  MODULATION: '#d2a8ff',
  KONTEXT_MODEL: '#b39ddb',
  MASK: '#81c784',
  INT: '#7ab8d9',
  FLOAT: '#a6d189',
  STRING: '#e5c07b',
  BOOLEAN: '#e06c75',
};

/** Applies the app's theme and behaviour switches to litegraph's globals; call once before creating canvases. */
export function configureLiteGraph(): void {
  LiteGraph.release_link_on_empty_shows_menu = true;
  LiteGraph.alt_drag_do_clone_nodes = true;
  LiteGraph.middle_click_slot_add_default_node = true;
  LiteGraph.search_filter_enabled = true;
  LiteGraph.search_show_all_on_open = true;
  LiteGraph.snaps_for_comfy = true;
  LiteGraph.ctrl_shift_v_paste_connect_unselected_outputs = true;
  LiteGraph.saveViewportWithGraph = true;
  LiteGraph.NODE_DEFAULT_BGCOLOR = '#2b2f36';
  LiteGraph.NODE_DEFAULT_COLOR = '#353b45';
  LiteGraph.NODE_TITLE_COLOR = '#d8dee9';
  LiteGraph.WIDGET_BGCOLOR = '#1f2329';
  LiteGraph.WIDGET_OUTLINE_COLOR = '#4b5360';
  LiteGraph.NODE_ERROR_COLOUR = '#f85149';
  Object.assign(LGraphCanvas.link_type_colors, SOCKET_COLOURS);
}

/** Creates the canvas view over a graph, with the app's defaults (high quality, link tooltips, no info box). */
export function createCanvas(element: HTMLCanvasElement, graph: LGraph): LGraphCanvas {
  const canvas = new LGraphCanvas(element, graph);
  canvas.show_info = false;
  canvas.render_canvas_border = false;
  // Keep text and widgets drawn when a whole workflow is framed on a laptop screen (litegraph's default is 0.6).
  canvas.low_quality_zoom_threshold = 0.4;
  canvas.render_link_tooltip = true;
  canvas.allow_searchbox = true;
  canvas.background_image = '';
  canvas.clear_background_color = '#16181d';
  canvas.default_connection_color_byType = { ...SOCKET_COLOURS };
  return canvas;
}

/** Zooms and pans a canvas so the nodes fill its element (litegraph's own fitting ignores node titles). */
export function frameNodes(canvas: LGraphCanvas, nodes: readonly LGraphNode[]): void {
  if (!nodes.length) return;
  const xs = nodes.flatMap((n) => [n.pos[0], n.pos[0] + n.size[0]]);
  const ys = nodes.flatMap((n) => [n.pos[1] - LiteGraph.NODE_TITLE_HEIGHT, n.pos[1] + n.size[1]]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const el = canvas.canvas;
  const fit = Math.min((el.clientWidth || el.width || 1200) / (x1 - x0 + 80), (el.clientHeight || el.height || 800) / (y1 - y0 + 80));
  const scale = Math.min(1.1, Math.max(0.2, fit));
  canvas.ds.scale = scale;
  canvas.ds.offset = [-x0 + 40 / scale, -y0 + 40 / scale];
  canvas.setDirty(true, true);
}

/**
 * Sizes the canvas to `width` x `height` CSS pixels at the screen's pixel density. litegraph draws its background
 * at devicePixelRatio and expects the front context to carry that scale, so text stays sharp on HiDPI screens.
 */
export function sizeCanvas(canvas: LGraphCanvas, width: number, height: number): void {
  const ratio = Math.max(1, window.devicePixelRatio || 1);
  const el = canvas.canvas;
  el.style.width = `${width}px`;
  el.style.height = `${height}px`;
  const pixelWidth = Math.round(width * ratio);
  const pixelHeight = Math.round(height * ratio);
  if (el.width === pixelWidth && el.height === pixelHeight) return;
  el.width = pixelWidth;
  el.height = pixelHeight;
  el.getContext('2d')?.scale(ratio, ratio);
  canvas.setDirty(true, true);
}

/** A node menu entry the app adds. */
export interface NodeMenuEntry {
  content: string;
  callback: () => void;
}

/**
 * Adjusts litegraph's node menu: drops subgraph conversion (the server runs flat prompts) and appends the app's
 * entries for the node.
 */
export function customiseNodeMenu(canvas: LGraphCanvas, extra: (node: LGraphNode) => NodeMenuEntry[]): void {
  const original = canvas.getNodeMenuOptions.bind(canvas);
  canvas.getNodeMenuOptions = (node: LGraphNode) => {
    const options = original(node).filter((o) => !(o && typeof o.content === 'string' && /subgraph/i.test(o.content)));
    return [...options, null, ...extra(node)] as ReturnType<LGraphCanvas['getNodeMenuOptions']>;
  };
}
