// Layout the editor changes by itself, not the user: a node grows when an image arrives for it (Load Image's
// thumbnail, a run's preview or output). Change tracking listens, so such growth is neither an undo step nor an
// edit that marks the workflow modified.
import type { LGraphNode } from '../litegraph-adapter.js';

type Listener = () => void;
const listeners = new Set<Listener>();

/** Calls `listener` after each layout change the editor made by itself; returns the unsubscribe function. */
export function onAppLayoutChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Grows a node that is too short to show an image (once: a node the user made taller is left alone). */
export function growToShowImages(node: LGraphNode): void {
  if (node.size[1] >= 260) return;
  node.setSize([Math.max(node.size[0], 260), 320]);
  for (const listener of listeners) listener();
}
