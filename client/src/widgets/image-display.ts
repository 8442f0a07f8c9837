// The image area of output nodes and Load Image: it takes the node's free height (a growable litegraph widget)
// and draws the selected image large with the rest of a batch as clickable thumbnails, or the live preview.
import type { AnyWidget, LGraphNode } from '../litegraph-adapter.js';
import { viewOf } from '../node-state.js';
import { growToShowImages } from '../state/app-layout.js';
import { decodeAnimation, frameAt } from './animation.js';

const THUMB_ROW = 56;

interface Box { x: number; y: number; w: number; h: number }

function fit(img: HTMLImageElement, box: Box): Box {
  const ratio = Math.min(box.w / img.naturalWidth, box.h / img.naturalHeight);
  const w = img.naturalWidth * ratio;
  const h = img.naturalHeight * ratio;
  return { x: box.x + (box.w - w) / 2, y: box.y + (box.h - h) / 2, w, h };
}

function thumbBoxes(count: number, width: number, top: number): Box[] {
  const size = Math.min(THUMB_ROW - 6, (width - 20) / count - 4);
  return Array.from({ length: count }, (_, i) => ({ x: 10 + i * (size + 4), y: top + 3, w: size, h: size }));
}

/** Adds the (unserialised) image area as the node's last widget. */
export function addImageDisplay(node: LGraphNode): AnyWidget {
  const widget: AnyWidget = {
    name: '$$images',
    type: 'image-display',
    value: '',
    options: {},
    serialize: false,
    y: 0,
    computeLayoutSize() {
      return { minHeight: viewOf(node).imageElements.length || viewOf(node).preview ? 120 : 10, maxHeight: 1024, minWidth: 64 };
    },
    draw(ctx, drawNode, width, y) {
      const view = viewOf(drawNode);
      const height = (widget.computedHeight as number | undefined) ?? drawNode.size[1] - y;
      const loaded = view.imageElements.filter((img) => img.complete && img.naturalWidth > 0);
      const showThumbs = loaded.length > 1;
      const main: Box = { x: 10, y: y + 2, w: width - 20, h: height - 6 - (showThumbs ? THUMB_ROW : 0) };
      if (main.h < 8) return;
      // While a node runs its live preview wins; afterwards its outputs, or the last preview when it has none (the denoiser).
      const large = view.preview && (view.running || !loaded.length) ? view.preview : loaded[Math.min(view.selectedImage, loaded.length - 1)];
      if (large && large.naturalWidth > 0) {
        const box = fit(large, main);
        const animation = large === view.preview ? undefined : view.animations[loaded.indexOf(large)];
        ctx.drawImage(animation ? frameAt(animation, performance.now()) : large, box.x, box.y, box.w, box.h);
        if (large === view.preview) {
          ctx.fillStyle = 'rgba(0,0,0,0.55)';
          ctx.fillRect(box.x, box.y + box.h - 18, 64, 18);
          ctx.fillStyle = '#fff';
          ctx.font = '11px sans-serif';
          ctx.fillText('preview', box.x + 6, box.y + box.h - 5);
        }
      }
      if (showThumbs) {
        thumbBoxes(loaded.length, width, main.y + main.h).forEach((box, i) => {
          const img = loaded[i]!;
          const inner = fit(img, box);
          ctx.drawImage(img, inner.x, inner.y, inner.w, inner.h);
          if (i === view.selectedImage) {
            ctx.strokeStyle = '#7ee787';
            ctx.lineWidth = 2;
            ctx.strokeRect(box.x - 1, box.y - 1, box.w + 2, box.h + 2);
          }
        });
      }
    },
    mouse(event, pos, mouseNode) {
      if (event.type !== 'pointerdown') return false;
      const view = viewOf(mouseNode);
      const count = view.imageElements.length;
      if (count < 2) return false;
      const height = (widget.computedHeight as number | undefined) ?? 0;
      const thumbTop = widget.y + height - THUMB_ROW - 4;
      const hit = thumbBoxes(count, mouseNode.size[0], thumbTop).findIndex((b) => pos[0] >= b.x && pos[0] <= b.x + b.w && pos[1] >= b.y && pos[1] <= b.y + b.h);
      if (hit < 0) return false;
      view.selectedImage = hit;
      mouseNode.setDirtyCanvas(true, false);
      return true;
    },
  };
  node.addCustomWidget(widget as never);
  return widget;
}

/** Loads the images of a node's view and grows the node so they are visible; `urlOf` maps refs to /view URLs. */
export function showImages(node: LGraphNode, urls: string[], animated = false): void {
  const view = viewOf(node);
  if (typeof Image === 'undefined') return; // graphs also load in Node (tests, tools): nothing to draw there
  view.selectedImage = Math.min(view.selectedImage, Math.max(0, urls.length - 1));
  view.imageElements = urls.map((url) => {
    const img = new Image();
    img.onload = () => {
      growToShowImages(node);
      node.setDirtyCanvas(true, true);
    };
    img.src = url;
    return img;
  });
  for (const old of view.animations) old?.frames.forEach((frame) => frame.close());
  view.animations = [];
  if (animated) {
    urls.forEach((url, i) => {
      void decodeAnimation(url).then((decoded) => {
        if (decoded && view.imageElements[i]?.src === new URL(url, location.href).href) view.animations[i] = decoded;
      }).catch(() => undefined);
    });
  }
  node.setDirtyCanvas(true, true);
}
