// Upload controls for Load Image's picker (file dialog, drag-drop on the node, paste) and the thumbnail of the
// chosen input image. The server stores the file in its input area and answers the name the combo then holds.
import type { AnyWidget, LGraphNode } from '../litegraph-adapter.js';
import type { ApiClient, ImageRef } from '../api.js';
import { showImages } from './image-display.js';

/** What the upload controls need from the app. */
export interface UploadHost {
  api: ApiClient;
  /** Called after the combo's value changed, so undo, autosave and live runs see it. */
  changed(node: LGraphNode): void;
  notifyError(message: string): void;
}

/** The input-area reference for a combo value such as "sub/dir/name.png" (the server's FileAreas.splitName). */
export function inputImageRef(value: string): ImageRef {
  const slash = value.lastIndexOf('/');
  return { filename: value.slice(slash + 1), subfolder: slash >= 0 ? value.slice(0, slash) : '', type: 'input' };
}

/** The combo value for a stored upload: "subfolder/name", or the name alone. */
export function comboValueOf(stored: { name: string; subfolder: string }): string {
  return stored.subfolder ? `${stored.subfolder}/${stored.name}` : stored.name;
}

/** The /view URL of a combo value's input image. */
export function inputImageUrl(api: ApiClient, value: string): string {
  return api.viewUrl(inputImageRef(value));
}

/** Points an image combo at a stored file as a user's choice would: listed, selected, thumbnail and undo step. */
export function pointComboAt(node: LGraphNode, combo: AnyWidget, value: string, host: Pick<UploadHost, 'changed'>): void {
  const values = combo.options.values as string[];
  if (Array.isArray(values) && !values.includes(value)) values.push(value);
  combo.value = value;
  combo.callback?.(value);
  host.changed(node);
}

/** A node that accepts image files (Load Image): the app routes drops and pastes to `uploadFile`. */
export type UploadableNode = LGraphNode & { uploadFile?: (file: File) => Promise<string>; refreshInputImage?: () => void };

/** Uploads a file and points the node's image combo at it; resolves with the stored name. */
export async function uploadInto(node: LGraphNode, combo: AnyWidget, file: File, host: UploadHost): Promise<string> {
  if (!file.type.startsWith('image/')) throw new Error(`"${file.name}" is not an image (type ${file.type || 'unknown'})`);
  const stored = await host.api.uploadImage(file, file.name || 'pasted.png');
  const value = comboValueOf(stored);
  pointComboAt(node, combo, value, host);
  return value;
}

/** Adds the upload button after an image combo and wires drag-drop onto the node. */
export function addImageUpload(node: LGraphNode, combo: AnyWidget, host: UploadHost): void {
  const refresh = () => {
    const value = String(combo.value ?? '');
    showImages(node, value ? [inputImageUrl(host.api, value)] : []);
  };
  const previous = combo.callback;
  combo.callback = (value: unknown, ...rest: unknown[]) => {
    previous?.(value, ...rest);
    refresh();
  };
  const pick = () => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = 'image/png,image/jpeg,image/webp';
    input.style.display = 'none';
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.remove();
      if (file) uploadInto(node, combo, file, host).catch((e: Error) => host.notifyError(`Upload failed: ${e.message}`));
    });
    document.body.appendChild(input);
    input.click();
  };
  const button = node.addWidget('button', 'choose image to upload', 'image', pick, { serialize: false } as never) as unknown as AnyWidget;
  button.serialize = false;
  // litegraph has no per-node drop hook any more: the app's drop and paste handlers look for this function.
  (node as UploadableNode).uploadFile = (file: File) => uploadInto(node, combo, file, host);
  (node as UploadableNode).refreshInputImage = refresh;
}
