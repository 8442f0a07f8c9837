// The mask editor: a modal over the canvas that shows an image with its mask (the file's transparent pixels) and lets
// the user paint it, then hands the result to `save` as a PNG whose alpha is 0 where masked. It owns no server
// knowledge; load-image-mask.ts wires it to Load Image. Every listener it adds ends with one AbortController, so
// closing it leaves nothing behind on window or document.
import { h } from '../ui/dom.js';
import { toast } from '../ui/toasts.js';
import { clearMask, invertMask, maskFromAlphaPlane, maskToAlphaPixels, type MaskPlane } from './mask-pixels.js';
import { MaskSurface } from './mask-surface.js';

/** What the editor opens on and where its result goes. */
export interface MaskEditorOptions {
  /** Shown in the title bar (the file being edited). */
  title: string;
  /** The picture, without alpha (/view?channel=rgb): transparent pixels still show what they hold. */
  imageUrl: string;
  /** The alpha plane as greyscale (/view?channel=a): white opaque, black fully masked. */
  alphaUrl: string;
  /** Stores the mask; a rejection keeps the editor open with the painting intact. */
  save(png: Blob): Promise<void>;
}

/** An open editor (tests and callers close it; at most one is open). */
export interface MaskEditorHandle {
  readonly element: HTMLElement;
  close(): void;
}

const BRUSH_MIN = 1;
const BRUSH_MAX = 256;
/** Room the toolbar and margins take from the window. */
const CHROME_WIDTH = 48;
const CHROME_HEIGHT = 120;

let openEditor: MaskEditorHandle | null = null;

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`the server did not send an image for ${url.replace(/[?&]token=[^&]*/, '')}`));
    img.src = url;
  });
}

/** Reads a greyscale alpha image back into a mask plane of `width` x `height`. */
function maskOf(alpha: HTMLImageElement, width: number, height: number): MaskPlane {
  const canvas = h('canvas', { width, height });
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(alpha, 0, 0, width, height);
  return maskFromAlphaPlane(context.getImageData(0, 0, width, height).data, width, height);
}

/** Encodes a mask as the PNG /upload/mask takes (canvas.toBlob keeps alpha exactly). */
function maskPng(mask: MaskPlane): Promise<Blob> {
  const canvas = h('canvas', { width: mask.width, height: mask.height });
  canvas.getContext('2d')!.putImageData(new ImageData(maskToAlphaPixels(mask), mask.width, mask.height), 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the mask as PNG'))), 'image/png'));
}

/**
 * Opens the editor (or returns the one already open). It loads both images first; if either fails, a toast says so
 * and the editor closes. Escape or Cancel closes it without saving.
 */
export function openMaskEditor(options: MaskEditorOptions): MaskEditorHandle {
  if (openEditor) return openEditor;
  const lifetime = new AbortController();
  const signal = lifetime.signal;
  const returnFocus = document.activeElement as HTMLElement | null;
  const body = h('div', { class: 'kx-mask-body' }, h('div', { class: 'kx-mask-loading' }, 'Loading the image…'));
  const toolbar = h('div', { class: 'kx-mask-toolbar' });
  const element = h(
    'div',
    { class: 'kx-modal kx-mask-editor', role: 'dialog', 'aria-modal': 'true', 'aria-label': `Mask editor: ${options.title}`, tabindex: '-1' },
    h('div', { class: 'kx-mask-title' }, `Mask: ${options.title}`),
    toolbar,
    body,
  );
  const close = (): void => {
    if (signal.aborted) return;
    lifetime.abort();
    element.remove();
    openEditor = null;
    returnFocus?.focus?.();
  };
  const handle: MaskEditorHandle = { element, close };
  openEditor = handle;
  // Capture phase on window: Escape must reach the editor before anything else on the page acts on it.
  let keys: ((e: KeyboardEvent) => boolean) | null = null;
  window.addEventListener('keydown', (e) => {
    const handled = e.key === 'Escape' ? (close(), true) : (keys?.(e) ?? false);
    if (!handled) return;
    e.preventDefault();
    e.stopPropagation();
  }, { capture: true, signal });
  document.body.append(element);
  element.focus();

  void Promise.all([loadImage(options.imageUrl), loadImage(options.alphaUrl)]).then(([photo, alpha]) => {
    if (signal.aborted) return;
    const mask = maskOf(alpha, photo.naturalWidth, photo.naturalHeight);
    const surface = new MaskSurface(photo, mask, signal);
    body.replaceChildren(surface.element);
    const fit = () => surface.fit(window.innerWidth - CHROME_WIDTH, window.innerHeight - CHROME_HEIGHT);
    fit();
    window.addEventListener('resize', fit, { signal });
    const toolbarControls = controls(surface, options, close, signal);
    toolbar.append(...toolbarControls.elements);
    keys = toolbarControls.onKey;
  }, (error: Error) => {
    toast(`Cannot open the mask editor: ${error.message}`, 'error');
    close();
  });
  return handle;
}

/**
 * The toolbar: brush size and softness, eraser toggle, undo, redo, clear, invert, cancel and save; `onKey` takes the editor's
 * shortcuts (Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo) and says whether it used the key.
 */
function controls(surface: MaskSurface, options: MaskEditorOptions, close: () => void, signal: AbortSignal): { elements: HTMLElement[]; onKey: (e: KeyboardEvent) => boolean } {
  const size = h('input', { type: 'range', min: String(BRUSH_MIN), max: String(BRUSH_MAX), value: String(surface.brushSize), 'aria-label': 'Brush size' });
  const sizeLabel = h('span', { class: 'kx-mask-size' }, `${surface.brushSize} px`);
  size.addEventListener('input', () => {
    surface.brushSize = Number(size.value);
    sizeLabel.textContent = `${size.value} px`;
  }, { signal });
  const softness = h('input', { type: 'range', min: '0', max: '100', value: '0', 'aria-label': 'Brush softness' });
  const softnessLabel = h('span', { class: 'kx-mask-size' }, '0 %');
  softness.addEventListener('input', () => {
    surface.brushSoftness = Number(softness.value) / 100;
    softnessLabel.textContent = `${softness.value} %`;
  }, { signal });
  const eraser = h('button', { class: 'kx-button', 'aria-pressed': 'false', title: 'Paint with the left button removes the mask (the right button always erases)' }, 'Eraser');
  eraser.addEventListener('click', () => {
    surface.eraser = !surface.eraser;
    eraser.setAttribute('aria-pressed', String(surface.eraser));
    eraser.classList.toggle('kx-active', surface.eraser);
  }, { signal });
  const action = (label: string, title: string, run: () => void, extraClass = '') => {
    const button = h('button', { class: `kx-button ${extraClass}`.trim(), title }, label);
    button.addEventListener('click', run, { signal });
    return button;
  };
  const save = action('Save', 'Store the mask as a new input image and point the node at it', () => {
    save.disabled = true;
    save.textContent = 'Saving…';
    void maskPng(surface.mask)
      .then((png) => options.save(png))
      .then(close, (error: Error) => {
        // Nothing is lost: the painting stays on screen and Save can be pressed again.
        toast(`Saving the mask failed: ${error.message}`, 'error');
        save.disabled = false;
        save.textContent = 'Save';
      });
  }, 'kx-primary');
  const { history } = surface;
  const travel = (move: () => boolean): boolean => {
    if (!move()) return false;
    surface.redraw();
    showHistory();
    return true;
  };
  const undo = action('Undo', 'Take back the last stroke, clear or invert (Ctrl+Z)', () => travel(() => history.undo()));
  const redo = action('Redo', 'Put back what Undo took (Ctrl+Shift+Z)', () => travel(() => history.redo()));
  const showHistory = (): void => {
    undo.disabled = !history.canUndo;
    redo.disabled = !history.canRedo;
  };
  /** A toolbar change that can be undone like a stroke. */
  const edit = (change: () => void) => () => {
    history.checkpoint();
    change();
    surface.redraw();
    showHistory();
  };
  surface.onChange = showHistory;
  showHistory();
  const onKey = (e: KeyboardEvent): boolean => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return false;
    const key = e.key.toLowerCase();
    if (key === 'z' && !e.shiftKey) return travel(() => history.undo()) || true;
    if ((key === 'z' && e.shiftKey) || key === 'y') return travel(() => history.redo()) || true;
    return false;
  };
  const elements = [
    h('label', { class: 'kx-mask-brush' }, 'Brush ', size, sizeLabel),
    h('label', { class: 'kx-mask-brush', title: 'How much of the brush edge fades out: soft masks blend an edit into its surroundings' }, 'Softness ', softness, softnessLabel),
    eraser,
    undo,
    redo,
    action('Clear', 'Remove the whole mask', edit(() => clearMask(surface.mask))),
    action('Invert', 'Mask what is unmasked and the other way round', edit(() => invertMask(surface.mask))),
    h('span', { class: 'kx-spacer' }),
    action('Cancel', 'Close without saving (Escape)', close),
    save,
  ];
  return { elements, onKey };
}
