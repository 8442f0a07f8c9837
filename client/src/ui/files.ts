// Workflows in and out of the editor as files: open and save JSON, drop a JSON or a PNG that carries a workflow,
// drop or paste an image onto Load Image (or send it there from the strength explorer), export the API prompt,
// and share links.
import type { App } from '../app.js';
import { readPngText } from '../../../server/engine/workflow/png-text.js';
import { decodeShareFragment } from '../workflow/share-link.js';
import type { UploadableNode } from '../widgets/image-upload.js';
import { download } from './dom.js';
import { toast } from './toasts.js';

function baseName(name: string): string {
  return name.replace(/\.(json|png)$/i, '') || 'workflow';
}

/** Reads the workflow a dropped or opened file carries; throws with a message naming the file and the problem. */
export async function workflowFromFile(file: File): Promise<unknown> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (file.type === 'image/png' || file.name.toLowerCase().endsWith('.png')) {
    const text = readPngText(bytes);
    if (text.workflow) return JSON.parse(text.workflow);
    if (text.prompt) return JSON.parse(text.prompt); // an image made by a script: open its prompt, laid out
    throw new Error(`"${file.name}" carries no workflow (it was not saved by Kontinuous Studio or ComfyUI)`);
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`"${file.name}" is not valid JSON: ${(error as Error).message}`);
  }
}

/** Opens a workflow file in a new tab; returns whether it opened. */
export async function openFile(app: App, file: File): Promise<boolean> {
  try {
    return app.openWorkflow(await workflowFromFile(file), baseName(file.name));
  } catch (error) {
    toast((error as Error).message, 'error');
    return false;
  }
}

function nodeAt(app: App, clientX: number, clientY: number): UploadableNode | null {
  const [x, y] = app.canvas.convertEventToCanvasOffset({ clientX, clientY } as MouseEvent);
  return app.graph.getNodeOnPos(x, y) as UploadableNode | null;
}

/** The Load Image node a pasted image goes to: the selected one, else the only one in the graph. */
function pasteTarget(app: App): UploadableNode | null {
  const selected = Object.values(app.canvas.selected_nodes ?? {}) as UploadableNode[];
  const chosen = selected.find((n) => n.uploadFile);
  if (chosen) return chosen;
  const all = (app.graph.nodes as UploadableNode[]).filter((n) => n.uploadFile);
  return all.length === 1 ? all[0]! : null;
}

/** Puts an image (a frame from the strength explorer) into Load Image, as a paste would; returns whether it did. */
export async function useAsInput(app: App, file: File): Promise<boolean> {
  const node = pasteTarget(app);
  if (!node?.uploadFile) {
    toast('Select the Load Image node to put the frame into.', 'info');
    return false;
  }
  try {
    const name = await node.uploadFile(file);
    toast(`"${name}" is now the input of Load Image #${node.id}: change the instruction and queue to edit it further.`, 'success');
    return true;
  } catch (error) {
    toast(`Upload failed: ${(error as Error).message}`, 'error');
    return false;
  }
}

/** Handles files dropped on the canvas: images onto Load Image, workflows (JSON, PNG with one) anywhere. */
export async function handleDrop(app: App, files: File[], clientX: number, clientY: number): Promise<void> {
  for (const file of files) {
    const target = nodeAt(app, clientX, clientY);
    if (target?.uploadFile && file.type.startsWith('image/')) {
      await target.uploadFile(file).catch((e: Error) => toast(`Upload failed: ${e.message}`, 'error'));
      continue;
    }
    if (file.type === 'image/png') {
      const text = readPngText(new Uint8Array(await file.arrayBuffer()));
      if (!text.workflow && !text.prompt) {
        toast(`"${file.name}" carries no workflow. Drop it onto a Load Image node to use it as the input image.`, 'error');
        continue;
      }
    }
    await openFile(app, file);
  }
}

/** Installs drag-drop and paste on the page. */
export function installFileHandlers(app: App, dropZone: HTMLElement): void {
  dropZone.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  });
  dropZone.addEventListener('drop', (e) => {
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (!files.length) return;
    e.preventDefault();
    void handleDrop(app, files, e.clientX, e.clientY);
  });
  document.addEventListener('paste', (e) => {
    const target = e.target as HTMLElement | null;
    if (target && /^(INPUT|TEXTAREA)$/.test(target.tagName)) return;
    const image = Array.from(e.clipboardData?.files ?? []).find((f) => f.type.startsWith('image/'));
    if (!image) return;
    const node = pasteTarget(app);
    if (!node?.uploadFile) {
      toast('Select a Load Image node to paste the image into.', 'info');
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    void node.uploadFile(image).catch((err: Error) => toast(`Upload failed: ${err.message}`, 'error'));
  }, true);
}

/** Lets the user pick a workflow file (JSON or PNG). */
export function pickWorkflowFile(app: App): void {
  const input = document.createElement('input');
  input.type = 'file';
  input.accept = '.json,application/json,image/png';
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void openFile(app, file);
  });
  input.click();
}

/** Downloads the active workflow as JSON. */
export function saveWorkflowFile(app: App): void {
  const name = app.tabs.current?.name ?? 'workflow';
  download(new Blob([JSON.stringify(app.workflow(), null, 2)], { type: 'application/json' }), `${name}.json`);
  if (app.tabs.current) {
    app.tabs.current.modified = false;
    app.tabs.persist();
    app.events.tabsChanged?.();
  }
}

/** Downloads the API-format prompt of the active graph. */
export function exportApiPrompt(app: App): void {
  const name = app.tabs.current?.name ?? 'workflow';
  download(new Blob([JSON.stringify(app.exportPrompt(), null, 2)], { type: 'application/json' }), `${name}.api.json`);
}

/** Builds the share link of the active workflow and copies it to the clipboard; returns it. */
export async function copyShareLink(app: App): Promise<string> {
  const url = await app.shareLink();
  try {
    await navigator.clipboard.writeText(url);
    toast(`Share link copied (${url.length} characters).`, 'success');
  } catch {
    window.prompt('Copy this link:', url);
  }
  return url;
}

/** The workflow a page was opened with through a share link, if any (the fragment is cleared after reading). */
export async function sharedWorkflow(): Promise<unknown | null> {
  try {
    const workflow = await decodeShareFragment(location.hash);
    if (workflow) history.replaceState(null, '', location.pathname + location.search);
    return workflow;
  } catch (error) {
    toast((error as Error).message, 'error');
    return null;
  }
}
