// Mask editing for Load Image, as ComfyUI users know it: an "edit mask" button and node-menu entry open the mask
// editor on the chosen input image; Save stores the image with the painted alpha as input/clipspace/<new name>.png
// through /upload/mask and points the node at it (one undo step, the workflow marked changed).
import type { AnyWidget, LGraphNode, NodeMenuEntry } from '../litegraph-adapter.js';
import { comboValueOf, inputImageRef, pointComboAt, type UploadHost } from '../widgets/image-upload.js';
import { openMaskEditor, type MaskEditorHandle } from './mask-editor.js';
import { CLIPSPACE_SUBFOLDER, clipspaceMaskName } from './mask-pixels.js';

/** A node whose image can be masked (Load Image); the node menu looks for `editMask`. */
export type MaskEditableNode = LGraphNode & { editMask?: () => MaskEditorHandle | null };

/** Opens the mask editor on the image a combo names; null (with a message) when it names none. */
export function editMaskOf(node: LGraphNode, combo: AnyWidget, host: UploadHost): MaskEditorHandle | null {
  const value = String(combo.value ?? '');
  if (!value) {
    host.notifyError('Choose or upload an image before painting its mask.');
    return null;
  }
  const original = inputImageRef(value);
  return openMaskEditor({
    title: value,
    imageUrl: host.api.viewUrl(original, false, 'rgb'),
    alphaUrl: host.api.viewUrl(original, false, 'a'),
    async save(png) {
      // A fresh name each time: the previous file stays valid for undo and for other nodes that load it.
      const stored = await host.api.uploadMask(png, clipspaceMaskName(), original, { subfolder: CLIPSPACE_SUBFOLDER, type: 'input' });
      pointComboAt(node, combo, comboValueOf(stored), host);
    },
  });
}

/** Adds the "edit mask" button after an image combo and lets the node menu offer the editor. */
export function addMaskEditing(node: LGraphNode, combo: AnyWidget, host: UploadHost): void {
  const open = () => void editMaskOf(node, combo, host);
  const button = node.addWidget('button', 'edit mask', 'mask', open, { serialize: false } as never) as unknown as AnyWidget;
  button.serialize = false;
  button.tooltip = 'Paint the area to edit: it becomes the transparent pixels of a copy of this image, Load Image\'s MASK output.';
  (node as MaskEditableNode).editMask = () => editMaskOf(node, combo, host);
}

/** The node-menu entry for nodes with a mask editor (none for others). */
export function maskMenuEntries(node: LGraphNode): NodeMenuEntry[] {
  const editable = node as MaskEditableNode;
  return editable.editMask ? [{ content: 'Edit mask', callback: () => void editable.editMask!() }] : [];
}
