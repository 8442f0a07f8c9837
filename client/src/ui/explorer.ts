// The strength explorer: after a sweep, every edit of the batch with its strength. A scrubber moves through them
// instantly (all frames are preloaded), the change curve shows where along the strengths the edit happens, the
// strip shows source and edits side by side as in the paper, the animation plays them back and forth, and any
// frame can be saved or put into Load Image to be edited further.
import type { ApiClient, ImageRef } from '../api.js';
import { changeCurve, smallPixels, type CurvePoint } from '../strength/change-curve.js';
import { download, h, replaceChildren } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  return el;
}

/** One edit of a sweep and its strength (null when unknown). */
export interface ExplorerFrame {
  image: ImageRef;
  strength: number | null;
}

/** A finished sweep: its frames in batch order and the source image. */
export interface ExplorerRun {
  promptId: string;
  frames: ExplorerFrame[];
  source?: ImageRef;
}

/** The explorer panel; `element` goes into the sidebar. */
export class StrengthExplorer {
  readonly element: HTMLElement;
  run?: ExplorerRun;
  index = 0;
  private images: HTMLImageElement[] = [];
  private timer?: ReturnType<typeof setInterval>;
  private direction = 1;
  private readonly main = h('img', { class: 'kx-explorer-main', alt: 'edit at the selected strength' });
  private readonly label = h('div', { class: 'kx-explorer-label' });
  private readonly scrubber = h('input', { type: 'range', min: '0', max: '0', step: '1', value: '0', class: 'kx-explorer-scrubber', 'aria-label': 'strength' });
  private readonly strip = h('div', { class: 'kx-explorer-strip' });
  private readonly playButton = h('button', { class: 'kx-button' }, 'Play');
  private readonly body = h('div', { class: 'kx-explorer-body' });
  private readonly curve = h('figure', { class: 'kx-explorer-curve', hidden: true });
  /** The sweep's change curve, once its frames are loaded; null when it has none (see changeCurve). */
  curvePoints: CurvePoint[] | null = null;
  private curveDots: SVGCircleElement[] = [];
  private readonly empty = h('p', { class: 'kx-muted' }, 'Run a sweep (Strength mode "sweep" or "list") and its edits appear here: scrub through strengths, compare them in a strip, play them as an animation, save any frame.');

  /** `onEditFrame` receives the chosen frame as a PNG file, to become the graph's input image. */
  constructor(private readonly api: ApiClient, private readonly onFilled?: () => void, private readonly onEditFrame?: (file: File) => void) {
    this.scrubber.addEventListener('input', () => this.show(Number(this.scrubber.value)));
    this.playButton.addEventListener('click', () => (this.timer ? this.stop() : this.play()));
    const save = h('button', { class: 'kx-button', onClick: () => void this.saveFrame() }, 'Save frame');
    const edit = h('button', { class: 'kx-button', title: 'Put this frame into Load Image, to edit it further', onClick: () => void this.editFrame() }, 'Edit this frame');
    // Holding the button shows the source in place of the edit: the quickest way to judge a strength.
    const compare = h('button', { class: 'kx-button', title: 'Hold to see the source image' }, 'Hold: source');
    compare.addEventListener('pointerdown', () => this.run?.source && (this.main.src = this.api.viewUrl(this.run.source)));
    for (const end of ['pointerup', 'pointerleave'] as const) compare.addEventListener(end, () => this.show(this.index));
    this.body.append(this.main, this.label, this.scrubber, h('div', { class: 'kx-row' }, this.playButton, compare, save, edit), this.curve, h('h4', {}, 'Strip'), this.strip);
    this.element = h('section', { class: 'kx-explorer' }, this.empty, this.body);
    this.body.hidden = true;
  }

  /** Shows a new sweep; frames are sorted by strength. */
  fill(run: ExplorerRun): void {
    this.stop();
    const frames = [...run.frames].sort((a, b) => (a.strength ?? 0) - (b.strength ?? 0));
    this.run = { ...run, frames };
    this.images = frames.map((f) => Object.assign(new Image(), { src: this.api.viewUrl(f.image) }));
    this.scrubber.max = String(frames.length - 1);
    const cells: Node[] = [];
    if (run.source) {
      const src = this.api.viewUrl(run.source);
      cells.push(h('figure', { class: 'kx-strip-cell kx-strip-source' }, h('img', { src, alt: 'source' }), h('figcaption', {}, 'source')));
    }
    frames.forEach((frame, i) => {
      const caption = frame.strength == null ? `#${i + 1}` : `s = ${frame.strength.toFixed(2)}`;
      cells.push(h('figure', { class: 'kx-strip-cell', 'data-index': String(i), onClick: () => this.show(i) }, h('img', { src: this.api.viewUrl(frame.image), alt: caption }), h('figcaption', {}, caption)));
    });
    replaceChildren(this.strip, ...cells);
    this.curvePoints = null;
    this.curveDots = [];
    this.curve.hidden = true;
    void this.drawCurve(this.run);
    this.empty.hidden = true;
    this.body.hidden = false;
    this.show(0);
    this.onFilled?.();
  }

  /** Measures and draws the change curve once every frame has loaded (unless another sweep came meanwhile). */
  private async drawCurve(run: ExplorerRun): Promise<void> {
    const strengths = run.frames.map((f) => f.strength);
    if (strengths.some((s) => s === null)) return;
    const images = this.images;
    try {
      await Promise.all(images.map((img) => img.decode()));
    } catch {
      return; // a frame that does not load has no place on a curve; the strip shows what did load
    }
    if (this.run !== run) return;
    const points = changeCurve(strengths as number[], images.map((img) => smallPixels(img)));
    if (!points) return;
    const [W, H, left, right, top, bottom] = [300, 96, 10, 10, 8, 20];
    const first = points[0]!.strength;
    const span = points.at(-1)!.strength - first || 1;
    const x = (s: number) => left + ((s - first) / span) * (W - left - right);
    const y = (c: number) => top + (1 - c) * (H - top - bottom);
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'change by strength' });
    chart.append(
      svg('line', { x1: x(first), y1: y(0), x2: x(first + span), y2: y(1), class: 'kx-curve-even' }),
      svg('polyline', { points: points.map((p) => `${x(p.strength)},${y(p.change)}`).join(' '), class: 'kx-curve-line' }),
    );
    this.curveDots = points.map((p, i) => {
      const dot = svg('circle', { cx: x(p.strength), cy: y(p.change), r: 4.5, class: 'kx-curve-dot' });
      const title = svg('title', {});
      title.textContent = `s = ${p.strength.toFixed(2)}: ${Math.round(p.change * 100)}% of the change`;
      dot.append(title);
      dot.addEventListener('click', () => this.show(i));
      return dot;
    });
    chart.append(...this.curveDots);
    for (const [s, anchor] of [[first, 'start'], [first + span, 'end']] as const) {
      const label = svg('text', { x: x(s), y: H - 5, 'text-anchor': anchor, class: 'kx-curve-axis' });
      label.textContent = `s = ${s.toFixed(2)}`;
      chart.append(label);
    }
    replaceChildren(this.curve, chart, h('figcaption', {}, 'Change by strength: steep where the edit happens (dashed: an even change)'));
    this.curvePoints = points;
    this.curve.hidden = false;
    this.show(this.index);
  }

  /** Shows frame i (clamped). */
  show(i: number): void {
    if (!this.run) return;
    this.index = Math.max(0, Math.min(this.run.frames.length - 1, i));
    const frame = this.run.frames[this.index]!;
    this.main.src = this.images[this.index]!.src;
    this.scrubber.value = String(this.index);
    this.label.textContent = frame.strength == null ? `frame ${this.index + 1} of ${this.run.frames.length}` : `strength ${frame.strength.toFixed(2)}  (${this.index + 1} of ${this.run.frames.length})`;
    this.strip.querySelectorAll('.kx-strip-cell').forEach((cell) => cell.classList.toggle('kx-selected', cell.getAttribute('data-index') === String(this.index)));
    this.curveDots.forEach((dot, k) => dot.classList.toggle('kx-selected', k === this.index));
  }

  /** Plays the frames back and forth. */
  play(fps = 6): void {
    if (!this.run || this.run.frames.length < 2) return;
    this.playButton.textContent = 'Pause';
    this.timer = setInterval(() => {
      const last = this.run!.frames.length - 1;
      if (this.index + this.direction > last || this.index + this.direction < 0) this.direction = -this.direction;
      this.show(this.index + this.direction);
    }, 1000 / fps);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.playButton.textContent = 'Play';
  }

  /** The current frame as a PNG file named after its strength, or null before any sweep. */
  private async frameFile(): Promise<File | null> {
    const frame = this.run?.frames[this.index];
    if (!frame) return null;
    const blob = await (await fetch(this.api.viewUrl(frame.image))).blob();
    const suffix = frame.strength == null ? String(this.index + 1) : frame.strength.toFixed(2);
    return new File([blob], `kontinuous-strength-${suffix}.png`, { type: 'image/png' });
  }

  /** Downloads the current frame, named after its strength. */
  async saveFrame(): Promise<void> {
    const file = await this.frameFile();
    if (file) download(file, file.name);
  }

  /** Hands the current frame on to become the input image (a chained edit from the chosen strength). */
  async editFrame(): Promise<void> {
    const file = await this.frameFile();
    if (file) this.onEditFrame?.(file);
  }
}
