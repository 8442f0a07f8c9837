// What the editor knows about a node beyond litegraph's own fields: its server-side description, the images it
// shows, its execution state. Kept in one record per node so drawing and event handling share one truth.
import type { LGraphNode } from './litegraph-adapter.js';
import type { ImageRef, NodeInfo } from './api.js';

/** What the editor shows on one node besides litegraph's own state. */
export interface NodeView {
  /** The /object_info entry this node class was built from (absent for placeholders). */
  info?: NodeInfo;
  /** Output images from the last `executed` event (or the uploaded image on Load Image). */
  images: ImageRef[];
  /** Loaded <img> elements for `images`, in the same order. */
  imageElements: HTMLImageElement[];
  /** The per-step preview while a denoise runs. */
  preview?: HTMLImageElement;
  /** Which image of a batch is shown large (the others as thumbnails). */
  selectedImage: number;
  running: boolean;
  cached: boolean;
  /** How long the node took in the last run, as this page saw it (from its start to the next node's). */
  ranMs?: number;
  /** A message from validation or execution, shown as a badge and under the title. */
  error?: string;
  /** What the node said about its run (its `text` output, e.g. words the model does not know), shown under it. */
  notice?: string;
  /** The images are animations (WebP/GIF): the canvas keeps redrawing so they play. */
  animated?: boolean;
  /** Decoded frames of animated images, by index in `imageElements` (filled asynchronously). */
  animations: Array<import('./widgets/animation.js').DecodedAnimation | undefined>;
  /** A strength node whose changes render at once (live mode). */
  live?: boolean;
  /** Strengths the node reported rendering (Kontext Denoise with even change moves them from the prompt's). */
  rendered?: number[];
  /** Placeholder for a node type the server does not know. */
  missingType?: string;
}

const views = new WeakMap<LGraphNode, NodeView>();

/** The view record of a node, created on first use. */
export function viewOf(node: LGraphNode): NodeView {
  let view = views.get(node);
  if (!view) {
    view = { images: [], imageElements: [], animations: [], selectedImage: 0, running: false, cached: false };
    views.set(node, view);
  }
  return view;
}

/** The class_type a node runs as on the server. */
export function classTypeOf(node: LGraphNode): string {
  return (node as LGraphNode & { comfyClass?: string }).comfyClass ?? node.type ?? '';
}

/** Carries images and errors over to the nodes that replace `before` after a reload of the same graph (undo). */
export function carryViews(before: Map<string, NodeView>, nodes: Iterable<LGraphNode>): LGraphNode[] {
  const withImages: LGraphNode[] = [];
  for (const node of nodes) {
    const old = before.get(String(node.id));
    if (!old) continue;
    const view = viewOf(node);
    view.images = old.images;
    view.imageElements = old.imageElements;
    view.animations = old.animations;
    view.animated = old.animated;
    view.selectedImage = old.selectedImage;
    view.cached = old.cached;
    if (!view.missingType) view.error = old.error;
    if (old.imageElements.length) withImages.push(node);
  }
  return withImages;
}

/** The view records of a graph's nodes by id (taken before the graph is reconfigured). */
export function viewsById(nodes: Iterable<LGraphNode>): Map<string, NodeView> {
  const map = new Map<string, NodeView>();
  for (const node of nodes) map.set(String(node.id), viewOf(node));
  return map;
}
