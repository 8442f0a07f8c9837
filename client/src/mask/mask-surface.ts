// The painting surface of the mask editor: the photo and a translucent mask layer, both canvases at the image's
// own pixel size and scaled together by CSS, so strokes land on image pixels whatever the zoom. Left button (or a
// pen tip, or a finger) paints, the right button or a pen's eraser end erases, and the Eraser toggle swaps them.
import { h } from '../ui/dom.js';
import { MaskHistory } from './mask-history.js';
import { fullRect, paintSegment, renderOverlay, type ImagePoint, type MaskPlane, type PixelRect } from './mask-pixels.js';

/** Largest on-screen magnification; small images still fit the window, tiny ones stay inspectable. */
const MAX_DISPLAY_SCALE = 16;
/** Pointer button numbers (PointerEvent.button) that erase whatever the toggle says: right, pen eraser. */
const ERASE_BUTTONS = new Set([2, 5]);

/** The photo, its mask, and how strokes change the mask. */
export class MaskSurface {
  readonly element: HTMLDivElement;
  /** Brush diameter in image pixels. */
  brushSize = 24;
  /** Outer share of the brush radius that fades out (0 = a hard edge). */
  brushSoftness = 0;
  /** When set, the primary button erases instead of painting. */
  eraser = false;
  /** Snapshots before each stroke (and each clear or invert the toolbar makes), for undo and redo. */
  readonly history: MaskHistory;
  /** Called after a stroke ends, so the toolbar can update its undo and redo buttons. */
  onChange?: () => void;
  private readonly layer: HTMLCanvasElement;
  private readonly layerContext: CanvasRenderingContext2D;
  private readonly overlay: ImageData;
  private readonly cursor: HTMLDivElement;
  private scale = 1;
  private stroke: { pointerId: number; value: number; last: ImagePoint } | null = null;

  /** Builds the surface for a loaded photo and its mask; listeners end with `signal`. */
  constructor(photo: HTMLImageElement, readonly mask: MaskPlane, signal: AbortSignal) {
    const { width, height } = mask;
    this.history = new MaskHistory(mask);
    const photoCanvas = h('canvas', { class: 'kx-mask-photo', width, height });
    photoCanvas.getContext('2d')!.drawImage(photo, 0, 0, width, height);
    this.layer = h('canvas', { class: 'kx-mask-layer', width, height });
    this.layerContext = this.layer.getContext('2d')!;
    this.overlay = this.layerContext.createImageData(width, height);
    this.cursor = h('div', { class: 'kx-mask-cursor', hidden: true });
    this.element = h('div', { class: 'kx-mask-stage' }, photoCanvas, this.layer, this.cursor);
    this.redraw(fullRect(mask));
    const layer = this.layer;
    layer.addEventListener('pointerdown', (e) => this.begin(e), { signal });
    layer.addEventListener('pointermove', (e) => this.move(e), { signal });
    layer.addEventListener('pointerup', (e) => this.end(e), { signal });
    layer.addEventListener('pointercancel', (e) => this.end(e), { signal });
    layer.addEventListener('pointerleave', () => (this.cursor.hidden = true), { signal });
    // The right button erases; the browser's own menu would interrupt the stroke.
    this.element.addEventListener('contextmenu', (e) => e.preventDefault(), { signal });
  }

  /** Scales the display to fit `maxWidth` x `maxHeight` CSS pixels (up for small images, down for large ones). */
  fit(maxWidth: number, maxHeight: number): void {
    const { width, height } = this.mask;
    this.scale = Math.max(0.01, Math.min(MAX_DISPLAY_SCALE, maxWidth / width, maxHeight / height));
    const size = { width: `${Math.floor(width * this.scale)}px`, height: `${Math.floor(height * this.scale)}px` };
    Object.assign(this.element.style, size);
    for (const canvas of this.element.querySelectorAll('canvas')) Object.assign(canvas.style, size);
  }

  /** Shows the mask (after a change made outside a stroke: clear, invert) over `rect`, the whole plane by default. */
  redraw(rect: PixelRect = fullRect(this.mask)): void {
    renderOverlay(this.mask, this.overlay.data, rect);
    this.layerContext.putImageData(this.overlay, 0, 0, rect.x, rect.y, rect.width, rect.height);
  }

  /** Where a pointer event falls, in image pixels (the layer may be drawn at any scale). */
  private imagePoint(e: PointerEvent): ImagePoint {
    const box = this.layer.getBoundingClientRect();
    return {
      x: ((e.clientX - box.left) / Math.max(1, box.width)) * this.mask.width,
      y: ((e.clientY - box.top) / Math.max(1, box.height)) * this.mask.height,
    };
  }

  private begin(e: PointerEvent): void {
    if (this.stroke || (e.button !== 0 && !ERASE_BUTTONS.has(e.button))) return;
    e.preventDefault();
    this.layer.setPointerCapture(e.pointerId);
    const erase = ERASE_BUTTONS.has(e.button) || this.eraser;
    const point = this.imagePoint(e);
    this.history.checkpoint();
    this.stroke = { pointerId: e.pointerId, value: erase ? 0 : 255, last: point };
    this.paintTo(point);
  }

  private move(e: PointerEvent): void {
    this.showCursor(e);
    if (!this.stroke || e.pointerId !== this.stroke.pointerId) return;
    // Pens and fast mice deliver several positions per frame; each is a segment, so curves stay round.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const event of events.length ? events : [e]) this.paintTo(this.imagePoint(event));
  }

  private end(e: PointerEvent): void {
    if (!this.stroke || e.pointerId !== this.stroke.pointerId) return;
    this.stroke = null;
    if (this.layer.hasPointerCapture(e.pointerId)) this.layer.releasePointerCapture(e.pointerId);
    this.onChange?.();
  }

  private paintTo(point: ImagePoint): void {
    const stroke = this.stroke!;
    const changed = paintSegment(this.mask, stroke.last, point, this.brushSize, stroke.value, this.brushSoftness);
    stroke.last = point;
    if (changed) this.redraw(changed);
  }

  private showCursor(e: PointerEvent): void {
    const box = this.layer.getBoundingClientRect();
    const diameter = this.brushSize * this.scale;
    this.cursor.hidden = false;
    Object.assign(this.cursor.style, {
      width: `${diameter}px`,
      height: `${diameter}px`,
      left: `${e.clientX - box.left - diameter / 2}px`,
      top: `${e.clientY - box.top - diameter / 2}px`,
    });
  }
}
