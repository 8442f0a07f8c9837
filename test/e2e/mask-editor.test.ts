// The mask editor in a real browser on the default workflow's Load Image: Cancel and Escape change nothing and leave
// no listeners behind; a mouse stroke (part of it erased with the right button) saved through /upload/mask becomes
// the transparent pixels of input/clipspace/clipspace-mask-*.png, the node points at that file (one undo step), and
// reopening the editor on it shows the painted area, with the editor's own undo and redo.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import sharp from 'sharp';
import { pageErrors, useEditorSession, type ProductServer } from './harness.js';

let server: ProductServer;
let page: Page;
let cdp: CDPSession;

const EDITOR = '.kx-mask-editor';
const LAYER = `${EDITOR} canvas.kx-mask-layer`;
/** The stroke, in image pixels of the 451x300 sample: painted from PAINT_FROM to PAINT_TO along y = ROW. */
const ROW = 150;
const PAINT_FROM = 100;
const PAINT_TO = 340;
/** Right-button erasing with a wider brush clears everything from ERASE_FROM rightwards. */
const ERASE_FROM = 260;

/** What the editor must leave alone when it is cancelled. */
function graphState() {
  return page.evaluate(() => {
    const { app, graph } = window.kontinuous;
    const node = graph.nodes.find((n: { type: string }) => n.type === 'LoadImage');
    return { image: node.widgets[0].value, modified: app.tabs.current.modified, canUndo: app.tabs.current.history.canUndo, undoState: app.tabs.current.history.state };
  });
}

/** Listeners on window and document, read through the DevTools protocol (the page cannot enumerate them). */
async function globalListenerCount(): Promise<number> {
  let count = 0;
  for (const expression of ['window', 'document']) {
    const { result } = await cdp.send('Runtime.evaluate', { expression });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId! });
    count += listeners.length;
  }
  return count;
}

/** Zooms the canvas onto Load Image at scale 1 and waits for its thumbnail, so its widgets sit still. */
async function focusLoadImage(): Promise<void> {
  await page.evaluate(() => {
    const { graph, canvas } = window.kontinuous;
    const node = graph.nodes.find((n: { type: string }) => n.type === 'LoadImage');
    canvas.ds.scale = 1;
    canvas.ds.offset = [-node.pos[0] + 40, -node.pos[1] + 60];
    canvas.setDirty(true, true);
  });
  await page.waitForFunction(() => {
    const node = window.kontinuous.graph.nodes.find((n: { type: string }) => n.type === 'LoadImage');
    const images = window.kontinuous.app.nodeView(node.id).imageElements;
    return images.length === 1 && images[0].complete && images[0].naturalWidth > 0;
  });
  const frame = await page.evaluate(() => window.kontinuous.canvas.frame);
  await page.waitForFunction((f) => window.kontinuous.canvas.frame > f + 2, frame);
}

/** Page coordinates of a point on the Load Image node: its title bar, or the middle of a named widget. */
function nodePoint(target: { widget: string } | 'title') {
  return page.evaluate((where) => {
    const { graph, canvas } = window.kontinuous;
    const node = graph.nodes.find((n: { type: string }) => n.type === 'LoadImage');
    const rect = canvas.canvas.getBoundingClientRect();
    const [ox, oy] = canvas.ds.offset;
    const scale = canvas.ds.scale;
    const widget = where === 'title' ? null : node.widgets.find((w: { name: string }) => w.name === where.widget);
    const y = widget ? node.pos[1] + widget.y + 10 : node.pos[1] - 15;
    return { x: rect.left + (node.pos[0] + (widget ? node.size[0] / 2 : 60) + ox) * scale, y: rect.top + (y + oy) * scale };
  }, target);
}

/** Lets change tracking record the last gesture (it checkpoints on the next animation frame). */
async function nextFrames(): Promise<void> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

async function openFromMenu(): Promise<void> {
  const title = await nodePoint('title');
  await page.mouse.click(title.x, title.y, { button: 'right' });
  await page.locator('.litecontextmenu .litemenu-entry', { hasText: 'Edit mask' }).click();
  await page.waitForSelector(LAYER);
}

async function openFromButton(): Promise<void> {
  const button = await nodePoint({ widget: 'edit mask' });
  await page.mouse.click(button.x, button.y);
  await page.waitForSelector(LAYER);
}

/** Page coordinates of an image pixel on the editor's (scaled) layer. */
async function imageToPage(): Promise<(x: number, y: number) => { x: number; y: number }> {
  const box = (await page.locator(LAYER).boundingBox())!;
  const width = Number(await page.locator(LAYER).getAttribute('width'));
  const height = Number(await page.locator(LAYER).getAttribute('height'));
  return (x, y) => ({ x: box.x + ((x + 0.5) * box.width) / width, y: box.y + ((y + 0.5) * box.height) / height });
}

async function drag(from: [number, number], to: [number, number], button: 'left' | 'right' = 'left'): Promise<void> {
  const at = await imageToPage();
  const start = at(...from);
  const end = at(...to);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down({ button });
  await page.mouse.move(end.x, end.y, { steps: 12 });
  await page.mouse.up({ button });
}

async function setBrush(size: number): Promise<void> {
  await page.locator(`${EDITOR} input[aria-label="Brush size"]`).evaluate((input, value) => {
    (input as HTMLInputElement).value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, size);
}

/** Pixels the editor's layer shows as masked. */
function shownMaskedPixels(): Promise<number> {
  return page.locator(LAYER).evaluate((canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let count = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
    return count;
  });
}

function clipspaceFiles(): string[] {
  const dir = path.join(server.dataDir, 'input', 'clipspace');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

describe('mask editor on Load Image (chromium)', () => {
  let saved = '';

  useEditorSession({}, (session) => {
    ({ server, page } = session);
  });

  it('changes nothing on Cancel or Escape and leaves no listeners behind', async () => {
    cdp = await page.context().newCDPSession(page);
    await focusLoadImage();
    // Clicking a node brings it to the front, which litegraph records as a reorder of the graph: do that first, so
    // the baseline is the graph as it stands while the editor is used.
    const title = await nodePoint('title');
    await page.mouse.click(title.x, title.y);
    await nextFrames();
    const before = await graphState();
    const listeners = await globalListenerCount();

    await openFromButton();
    assert.ok((await globalListenerCount()) > listeners, 'the open editor listens on the window (so the leak check sees it)');
    await drag([PAINT_FROM, ROW], [PAINT_TO, ROW]);
    assert.ok((await shownMaskedPixels()) > 0, 'the stroke shows on the layer');
    await page.locator(EDITOR).getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.locator(EDITOR).count(), 0);

    await openFromMenu();
    assert.equal(await shownMaskedPixels(), 0, 'the cancelled stroke was not kept');
    await drag([PAINT_FROM, ROW], [PAINT_TO, ROW]);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator(EDITOR).count(), 0);

    // Give change tracking its frame, then compare: same image, no edit, no undo step, no file.
    await nextFrames();
    assert.deepEqual(await graphState(), before);
    assert.deepEqual(clipspaceFiles(), []);
    assert.equal(await globalListenerCount(), listeners, 'closing removed every listener the editor added');
  });

  it('saves a painted stroke as the transparent pixels of a clipspace copy and points Load Image at it', async () => {
    await openFromMenu();
    await drag([PAINT_FROM, ROW], [PAINT_TO, ROW]);
    await setBrush(60);
    await drag([ERASE_FROM, ROW], [PAINT_TO + 40, ROW], 'right');
    await page.locator(EDITOR).getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector(EDITOR, { state: 'detached' });

    const state = await graphState();
    assert.match(state.image, /^clipspace\/clipspace-mask-\d+\.png$/);
    saved = state.image;
    assert.equal(state.modified, true, 'the workflow is marked changed');
    assert.deepEqual(clipspaceFiles(), [path.basename(saved)]);

    const file = path.join(server.dataDir, 'input', saved);
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [451, 300, 4]);
    const alpha = (x: number, y: number) => data[(y * info.width + x) * 4 + 3];
    for (const x of [PAINT_FROM, 150, 200, 220]) assert.equal(alpha(x, ROW), 0, `painted at ${x},${ROW}`);
    for (const x of [ERASE_FROM + 5, 300, PAINT_TO]) assert.equal(alpha(x, ROW), 255, `erased at ${x},${ROW}`);
    for (const [x, y] of [[150, 40], [20, 280], [PAINT_FROM - 30, ROW], [440, 10]] as const) assert.equal(alpha(x, y), 255, `untouched at ${x},${y}`);
    let transparent = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] === 0) transparent++;
    // About 150 px long (100..~250, the erased part gone) by the 24 px default brush.
    assert.ok(transparent > 2500 && transparent < 6000, `${transparent} transparent pixels`);
    // The photo itself is untouched: RGB equals the sample's.
    const original = await sharp(path.join(server.dataDir, 'input', 'chelsea.png')).removeAlpha().raw().toBuffer();
    const rgb = Buffer.from(data.filter((_, i) => i % 4 !== 3));
    assert.ok(rgb.equals(original), 'RGB unchanged');

    // The thumbnail follows the new file, and the change is one undo step.
    await page.waitForFunction((name) => {
      const node = window.kontinuous.graph.nodes.find((n: { type: string }) => n.type === 'LoadImage');
      const img = window.kontinuous.app.nodeView(node.id).imageElements[0];
      return img?.src.includes(encodeURIComponent(name.split('/')[1])) && img.complete && img.naturalWidth > 0;
    }, saved);
    await page.waitForFunction(() => window.kontinuous.app.tabs.current.history.canUndo);
    await page.evaluate(() => window.kontinuous.app.undo());
    assert.equal((await graphState()).image, 'chelsea.png');
    await page.evaluate(() => window.kontinuous.app.redo());
    assert.equal((await graphState()).image, saved);
    assert.deepEqual(pageErrors(page), []);
  });

  it('reopens the saved file with its mask shown', async () => {
    await focusLoadImage();
    await openFromButton();
    const { data } = await sharp(path.join(server.dataDir, 'input', saved)).raw().toBuffer({ resolveWithObject: true });
    let transparent = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] === 0) transparent++;
    assert.equal(await shownMaskedPixels(), transparent);
    // The editor's own undo: strokes and toolbar changes step back and forth; the graph's history is not touched.
    const undoButton = page.locator(EDITOR).getByRole('button', { name: 'Undo' });
    assert.equal(await undoButton.isDisabled(), true, 'nothing to undo on opening');
    await drag([PAINT_FROM, ROW - 60], [PAINT_TO, ROW - 60]);
    const stroked = await shownMaskedPixels();
    assert.ok(stroked > transparent);
    await page.keyboard.press('Control+z');
    assert.equal(await shownMaskedPixels(), transparent, 'Ctrl+Z takes the stroke back');
    await page.keyboard.press('Control+Shift+z');
    assert.equal(await shownMaskedPixels(), stroked, 'Ctrl+Shift+Z puts it back');
    await page.locator(EDITOR).getByRole('button', { name: 'Invert' }).click();
    assert.equal(await shownMaskedPixels(), 451 * 300 - stroked);
    await undoButton.click();
    assert.equal(await shownMaskedPixels(), stroked, 'Undo reverts Invert');
    assert.equal((await graphState()).image, saved, 'the graph did not undo anything');
    // A soft brush leaves partial coverage at its edge; a hard one (the default) does not.
    const partial = () => page.locator(LAYER).evaluate((canvas) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0 && data[i]! < 150) count++;
      return count;
    });
    const hardEdges = await partial();
    await page.locator(`${EDITOR} input[aria-label="Brush softness"]`).evaluate((input) => {
      (input as HTMLInputElement).value = '100';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await drag([PAINT_FROM, ROW + 100], [PAINT_TO, ROW + 100]);
    assert.ok((await partial()) > hardEdges + 100, 'the soft stroke fades out at its edges');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator(EDITOR).count(), 0);
    assert.deepEqual(clipspaceFiles(), [path.basename(saved)]);
  });

  it('keeps the painting open with a message when saving fails, and saves it on the next try', async () => {
    await openFromButton();
    const painted = await shownMaskedPixels();
    await drag([PAINT_FROM, ROW + 80], [PAINT_TO, ROW + 80]);
    const repainted = await shownMaskedPixels();
    assert.ok(repainted > painted);
    // The original vanishes under the editor (another program moved it): the server answers 404.
    const file = path.join(server.dataDir, 'input', saved);
    fs.renameSync(file, `${file}.away`);
    await page.locator(EDITOR).getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector('.kx-toast-error');
    const message = await page.locator('.kx-toast-error').last().textContent();
    assert.match(message!, /Saving the mask failed: .*404.*original_ref: no file/);
    assert.equal(await shownMaskedPixels(), repainted, 'the painting is still there');
    assert.equal((await graphState()).image, saved, 'the node still names the original');
    fs.renameSync(`${file}.away`, file);
    await page.locator(EDITOR).getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector(EDITOR, { state: 'detached' });
    const next = (await graphState()).image;
    assert.match(next, /^clipspace\/clipspace-mask-\d+\.png$/);
    assert.notEqual(next, saved);
    const { data } = await sharp(path.join(server.dataDir, 'input', next)).raw().toBuffer({ resolveWithObject: true });
    let transparent = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] === 0) transparent++;
    assert.equal(transparent, repainted, 'both strokes were saved');
    assert.deepEqual(pageErrors(page), []);
  });
});
