// Node menu entries for a node's output image (Save Image, Preview Image, Strength Grid, Decode previews...): open
// it in a tab, download it, or put it into Load Image to edit it further, as the strength explorer does for sweeps.
import type { App } from '../app.js';
import type { NodeMenuEntry } from '../litegraph-adapter.js';
import type { LGraphNode } from '../litegraph-adapter.js';
import { classTypeOf, viewOf } from '../node-state.js';
import { download } from './dom.js';
import { useAsInput } from './files.js';
import { toast } from './toasts.js';

/** The image of `node` that is shown large (the selected one of a batch), as a file named like on the server. */
async function shownImageFile(app: App, node: LGraphNode): Promise<File> {
  const view = viewOf(node);
  const ref = view.images[Math.min(view.selectedImage, view.images.length - 1)]!;
  const response = await fetch(app.api.viewUrl(ref));
  if (!response.ok) throw new Error(`the server answered ${response.status} for ${ref.filename}`);
  const blob = await response.blob();
  return new File([blob], ref.filename, { type: blob.type || 'image/png' });
}

/** The entries, for a node that shows an output image; none for Load Image (its image is the input already). */
export function imageMenuEntries(app: App, node: LGraphNode): NodeMenuEntry[] {
  const view = viewOf(node);
  if (view.images.length === 0 || classTypeOf(node) === 'LoadImage') return [];
  const ref = view.images[Math.min(view.selectedImage, view.images.length - 1)]!;
  const failed = (what: string) => (error: Error) => toast(`${what} failed: ${error.message}`, 'error');
  return [
    { content: 'Open image', callback: () => void window.open(app.api.viewUrl(ref), '_blank', 'noopener') },
    { content: 'Save image', callback: () => void shownImageFile(app, node).then((file) => download(file, file.name), failed('Saving the image')) },
    { content: 'Use as input image', callback: () => void shownImageFile(app, node).then((file) => useAsInput(app, file), failed('Using the image as input')) },
  ];
}
