// Strength, the reason the product exists, in a real browser on the server as `npm start` runs it, with a real model
// bundle (kontext-tiny, else the random-weight fixture bundle): the default workflow runs as shipped and its preview
// appears, dragging the live Strength slider brings a new image rendered at the new strength, a sweep fills the
// strength explorer (scrubber, strip, animation, save a frame), and the sweep template's grid and animation show.
// The README screenshot is taken here (UPDATE_SCREENSHOT=1 node --import tsx --test test/e2e/strength.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, openEditor, pageErrors, REPO, startProductServer, type Browser, type ProductServer } from './harness.js';

const STRENGTH = 6;
const DENOISE = 8;
const SAVE = 10;

let server: ProductServer;
let bundle = 'kontext-tiny';
let browser: Browser;
let page: Page;

/** Page pixels of a point on a widget of a node (fraction 0..1 across the widget's width). */
function widgetPoint(page: Page, nodeId: number, name: string, fraction: number) {
  return page.evaluate(({ nodeId, name, fraction }) => {
    const { graph, canvas } = window.kontinuous;
    const node = graph.getNodeById(nodeId);
    const widget = node.widgets.find((w: { name: string }) => w.name === name);
    const rect = canvas.canvas.getBoundingClientRect();
    const [ox, oy] = canvas.ds.offset;
    const s = canvas.ds.scale;
    const x = node.pos[0] + 15 + fraction * (node.size[0] - 30);
    const y = node.pos[1] + widget.y + 10;
    return { x: rect.left + (x + ox) * s, y: rect.top + (y + oy) * s };
  }, { nodeId, name, fraction });
}

async function latestRunStrength(): Promise<number> {
  const history = (await (await fetch(`${server.url}/history?max_items=1`)).json()) as Record<string, { prompt: [number, string, Record<string, { inputs: Record<string, unknown> }>] }>;
  const entry = Object.values(history)[0]!;
  return entry.prompt[2][String(STRENGTH)]!.inputs.value as number;
}

describe('strength in the editor (chromium, real model)', () => {
  before(async () => {
    await ensureClientBuilt();
    // As `npm start` runs it, plus the fixture bundle for machines without kontext-tiny.
    server = await startProductServer({ env: { KONTINUOUS_MODEL_DIRS: path.join(REPO, 'test', 'fixtures', 'bundles') } });
    browser = await launchBrowser();
    page = await openEditor(browser.context, server.url);
    const info = (await (await fetch(`${server.url}/object_info/KontextModelLoader`)).json()) as { KontextModelLoader: { input: { required: { bundle: [string[]] } } } };
    bundle = info.KontextModelLoader.input.required.bundle[0].includes('kontext-tiny') ? 'kontext-tiny' : 'kontext-fixture';
    if (bundle !== 'kontext-tiny') await page.evaluate((b) => window.kontinuous.app.setWidget(2, 'bundle', b), bundle);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('runs the default workflow as shipped: sample image shown, previews on the denoiser, the edit in Save Image', async () => {
    // The server loads the default bundle right after it starts, so the first edit does not wait for it (or says
    // that it is not installed).
    const preloaded = bundle === 'kontext-tiny' ? /Model bundle 'kontext-tiny' loaded in \d+ ms/ : /Preload: no model bundle 'kontext-tiny' \(installed: kontext-fixture/;
    for (let waited = 0; !preloaded.test(server.log.join('')); waited += 100) {
      assert.ok(waited < 60_000, `no preload line in the server's log:\n${server.log.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The server seeds the sample image the template names: Load Image shows it without an upload.
    await page.waitForFunction(() => window.kontinuous.app.nodeView(1).imageElements[0]?.naturalWidth > 0);
    await page.locator('#kx-queue').click();
    await page.waitForFunction((id) => window.kontinuous.app.nodeView(id).images.length === 1, SAVE, { timeout: 60_000 });
    const state = await page.evaluate(({ save, denoise }) => ({
      previews: window.kontinuous.app.tracker.previewsSeen,
      image: window.kontinuous.app.nodeView(save).images[0],
      denoiseError: window.kontinuous.app.nodeView(denoise).error ?? null,
    }), { save: SAVE, denoise: DENOISE });
    assert.equal(state.denoiseError, null);
    assert.ok(state.previews >= 1, 'per-step previews arrived');
    assert.equal(state.image.type, 'output');
    // An instruction with a word the model does not know: Encode Text says which, under the node.
    await page.evaluate(() => window.kontinuous.app.setWidget(5, 'instruction', 'make it night with zebras'));
    await page.locator('#kx-queue').click();
    await page.waitForFunction(() => Boolean(window.kontinuous.app.nodeView(5).notice), undefined, { timeout: 60_000 });
    const note = await page.evaluate(() => ({ notice: window.kontinuous.app.nodeView(5).notice, badges: window.kontinuous.graph.getNodeById(5).badges.map((b: { text: string }) => b.text) }));
    assert.match(note.notice, /does not know "zebras"/);
    assert.ok(note.badges.includes('⚠ note'), note.badges.join(', '));
    await page.evaluate(() => window.kontinuous.app.setWidget(5, 'instruction', 'make it night'));
  });

  it('live slider: dragging Strength queues at the front and a new image arrives at the new strength', async () => {
    const first = await page.evaluate((id) => window.kontinuous.app.nodeView(id).images[0].filename, SAVE);
    await page.locator('#kx-live').check();
    const badges = await page.evaluate((id) => window.kontinuous.graph.getNodeById(id).badges.map((b: { text: string }) => b.text), STRENGTH);
    assert.ok(badges.includes('● LIVE'), `strength node badges: ${badges.join(', ')}`);
    const beforeDrag = await page.evaluate(() => {
      window.kontinuous.app.checkpoint();
      return window.kontinuous.app.tabs.current.history.state;
    });
    const from = await widgetPoint(page, STRENGTH, 'value', 0.6);
    const to = await widgetPoint(page, STRENGTH, 'value', 0.25);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 8 });
    await page.mouse.up();
    // The whole drag is one undo step: one step back is the state before it.
    await page.waitForFunction((pre) => window.kontinuous.app.tabs.current.history.state !== pre, beforeDrag);
    const oneBack = await page.evaluate(() => {
      const history = window.kontinuous.app.tabs.current.history;
      const previous = history.undo();
      history.redo();
      return previous;
    });
    assert.equal(oneBack, beforeDrag);
    const slider = await page.evaluate((id) => window.kontinuous.graph.getNodeById(id).widgets.find((w: { name: string }) => w.name === 'value').value, STRENGTH);
    assert.ok(slider > 0.15 && slider < 0.35, `slider moved to ${slider}`);
    await page.waitForFunction(({ id, first }) => window.kontinuous.app.nodeView(id).images[0]?.filename !== first, { id: SAVE, first }, { timeout: 60_000 });
    await page.waitForFunction(() => window.kontinuous.app.tracker.queueRemaining === 0, undefined, { timeout: 60_000 });
    assert.ok(await page.evaluate(() => window.kontinuous.app.live.queued) >= 1);
    // The last run used the slider's final value; the encodings came from the cache.
    assert.equal(await latestRunStrength(), slider);
    const cached = await page.evaluate(() => [4, 5].map((id) => window.kontinuous.app.nodeView(id).cached));
    assert.deepEqual(cached, [true, true]);
    await page.locator('#kx-live').uncheck();
  });

  it('a sweep fills the strength explorer: scrub, strip, animation, save a frame', async () => {
    await page.evaluate((id) => {
      const { app } = window.kontinuous;
      app.setWidget(id, 'mode', 'sweep');
      app.setWidget(id, 'start', 0);
      app.setWidget(id, 'end', 1);
      app.setWidget(id, 'count', 4);
    }, STRENGTH);
    await page.locator('#kx-queue').click();
    await page.waitForFunction(() => window.kontinuous.shell.explorer.run?.frames.length === 4, undefined, { timeout: 90_000 });
    const strengths = await page.evaluate(() => window.kontinuous.shell.explorer.run.frames.map((f: { strength: number }) => f.strength));
    assert.deepEqual(strengths, [0, 0.3333, 0.6667, 1]);
    assert.equal(await page.locator('.kx-strip-cell').count(), 5, 'source plus four edits in the strip');

    // The change curve: one point per frame, at its strength, rising from 0 to 1; a dot selects its frame.
    await page.waitForFunction(() => window.kontinuous.shell.explorer.curvePoints !== null, undefined, { timeout: 10_000 });
    const curve = await page.evaluate(() => window.kontinuous.shell.explorer.curvePoints as Array<{ strength: number; change: number }>);
    assert.deepEqual(curve.map((p) => p.strength), strengths);
    assert.equal(curve[0]!.change, 0);
    assert.equal(curve.at(-1)!.change, 1);
    for (let k = 1; k < curve.length; k++) assert.ok(curve[k]!.change >= curve[k - 1]!.change, `the curve falls at frame ${k}`);
    assert.equal(await page.locator('.kx-curve-dot').count(), 4);
    await page.locator('.kx-curve-dot').nth(1).click();
    assert.match((await page.locator('.kx-explorer-label').textContent())!, /strength 0\.33/);
    assert.equal(await page.locator('.kx-curve-dot.kx-selected').count(), 1);

    // The scrubber moves through the frames instantly.
    const scrubber = page.locator('.kx-explorer-scrubber');
    await scrubber.fill('2');
    assert.match((await page.locator('.kx-explorer-label').textContent())!, /strength 0\.67/);
    await page.waitForFunction(() => (document.querySelector('.kx-explorer-main') as HTMLImageElement).complete);

    // The README screenshot, the editor mid-edit with the explorer open: written to docs/editor.png when
    // UPDATE_SCREENSHOT=1 (so ordinary test runs leave the repository untouched), else to the temp dir.
    const shot = process.env.UPDATE_SCREENSHOT === '1' ? path.join(REPO, 'docs', 'editor.png') : path.join(os.tmpdir(), 'kontinuous-editor.png');
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.evaluate(() => document.getElementById('kx-toasts')?.replaceChildren());
    await page.screenshot({ path: shot });
    assert.ok(fs.statSync(shot).size > 20_000, 'a real screenshot');

    // The animation advances frames; any frame can be saved.
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => window.kontinuous.shell.explorer.index !== 2, undefined, { timeout: 5000 });
    await page.getByRole('button', { name: 'Pause' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save frame' }).click()]);
    assert.match(download.suggestedFilename(), /^kontinuous-strength-\d\.\d\d\.png$/);
    const bytes = fs.readFileSync((await download.path())!);
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');

    // "Edit this frame" makes the chosen strength the input image: Load Image now holds it, uploaded.
    const before = await page.evaluate(() => window.kontinuous.graph.findNodesByType('LoadImage')[0].widgets[0].value);
    await page.getByRole('button', { name: 'Edit this frame' }).click();
    await page.waitForFunction((was) => window.kontinuous.graph.findNodesByType('LoadImage')[0].widgets[0].value !== was, before, { timeout: 10_000 });
    const input = await page.evaluate(async () => {
      const { app, graph } = window.kontinuous;
      const value = graph.findNodesByType('LoadImage')[0].widgets[0].value as string;
      const response = await fetch(app.api.viewUrl({ filename: value, subfolder: '', type: 'input' }));
      return { value, status: response.status, type: response.headers.get('content-type'), size: (await response.arrayBuffer()).byteLength };
    });
    assert.match(input.value, /^kontinuous-strength-\d\.\d\d.*\.png$/);
    assert.deepEqual([input.status, input.type], [200, 'image/png']);
    assert.equal(input.size, bytes.length, 'the frame itself, uploaded');
    assert.deepEqual(pageErrors(page), []);
  });

  /** Opens a shipped template on the test's bundle with widgets set ([node type, widget, value]); node ids by type. */
  async function openTemplate(name: string, widgets: Array<[string, string, unknown]>): Promise<Record<string, number>> {
    const wf = JSON.parse(fs.readFileSync(path.join(REPO, 'workflows', `${name}.json`), 'utf8'));
    return page.evaluate(({ wf, name, bundle, widgets }) => {
      const { app, graph } = window.kontinuous;
      app.openWorkflow(wf, name);
      // (No helper functions in page code: the test runner's transpiler would name them with a helper the page lacks.)
      const ids = Object.fromEntries(graph.nodes.map((n: { type: string; id: number }) => [n.type, n.id]));
      app.setWidget(ids.KontextModelLoader, 'bundle', bundle);
      for (const [type, widget, value] of widgets) app.setWidget(ids[type], widget, value);
      return ids;
    }, { wf, name, bundle, widgets });
  }

  it('the sweep template shows the strength grid and plays the animation in their nodes', async () => {
    const nodes = await openTemplate('strength-sweep', [['KontextDenoise', 'steps', 4], ['KontextStrength', 'count', 3]]);
    const ids = { grid: nodes.StrengthGrid!, animation: nodes.StrengthAnimation!, denoise: nodes.KontextDenoise! };
    await page.locator('#kx-queue').click();
    await page.waitForFunction(({ grid, animation }) => {
      const { app } = window.kontinuous;
      return app.nodeView(grid).imageElements[0]?.naturalWidth > 0 && (app.nodeView(animation).animations[0]?.frames.length ?? 0) >= 2;
    }, ids, { timeout: 90_000 });
    const state = await page.evaluate(({ grid, animation }) => {
      const { app } = window.kontinuous;
      const strip = app.nodeView(grid).imageElements[0];
      return { stripRatio: strip.naturalWidth / strip.naturalHeight, animated: app.nodeView(animation).animated, file: app.nodeView(animation).images[0].filename };
    }, ids);
    assert.ok(state.stripRatio > 2, `the grid is a strip (source + 3 edits), ratio ${state.stripRatio}`);
    assert.equal(state.animated, true);
    assert.match(state.file, /\.(webp|gif)$/);

    // The template's spacing is even change: the explorer labels the frames with the strengths Kontext Denoise
    // rendered, as the server reported them, not the prompt's 0, 0.5, 1.
    await page.waitForFunction(() => window.kontinuous.shell.explorer.run?.frames.length === 3, undefined, { timeout: 10_000 });
    const labels = await page.evaluate(() => window.kontinuous.shell.explorer.run.frames.map((f: { strength: number }) => f.strength));
    const history = (await (await fetch(`${server.url}/history?max_items=1`)).json()) as Record<string, { outputs: Record<string, { strengths?: number[] }> }>;
    const reported = Object.values(history)[0]!.outputs[String(ids.denoise)]?.strengths;
    assert.ok(reported, `Kontext Denoise reported no strengths: ${JSON.stringify(Object.values(history)[0]?.outputs)}`);
    assert.deepEqual(labels, reported);
    assert.equal(reported.length, 3);
    assert.equal(reported[0], 0);
    assert.equal(reported[2], 1);
    const badges = await page.evaluate((id) => window.kontinuous.graph.getNodeById(id).badges.map((b: { text: string }) => b.text), ids.denoise);
    assert.ok(badges.includes('even change: 3 strengths'), `denoise badges: ${badges.join(', ')}`);

    // The same sweep opens again from the history panel, labelled the same.
    await page.evaluate(() => (window.kontinuous.shell.explorer.run = undefined));
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.locator('.kx-history-item').first().getByRole('button', { name: 'Explore' }).click();
    await page.waitForFunction(() => window.kontinuous.shell.explorer.run?.frames.length === 3);
    assert.deepEqual(await page.evaluate(() => window.kontinuous.shell.explorer.run.frames.map((f: { strength: number }) => f.strength)), reported);
    assert.ok(await page.locator('.kx-explorer-scrubber').isVisible(), 'the explorer panel is shown');
  });

  it('the compare template shows two labelled rows, plain and guided, in Compare Grid', async () => {
    const ids = { grid: (await openTemplate('compare-guidance', [['KontextStrength', 'count', 3]])).CompareGrid! };
    await page.locator('#kx-queue').click();
    await page.waitForFunction((grid) => window.kontinuous.app.nodeView(grid).imageElements[0]?.naturalWidth > 0, ids.grid, { timeout: 90_000 });
    const state = await page.evaluate((grid) => {
      const view = window.kontinuous.app.nodeView(grid);
      return { width: view.imageElements[0].naturalWidth, height: view.imageElements[0].naturalHeight, file: view.images[0].filename, error: view.error ?? null };
    }, ids.grid);
    assert.equal(state.error, null);
    assert.match(state.file, /^Kontinuous_compare_\d+_\.png$/);
    // A row is source + 3 strengths of one tile size with 4 px gaps; two rows, each a tile plus its label bands.
    const tile = (state.width - 5 * 4) / 4;
    assert.ok(Number.isInteger(tile) && tile > 0, `${state.width}x${state.height}`);
    assert.ok(state.height % 2 === 0 && state.height / 2 > tile / 2 && state.height / 2 < 2 * tile, `two rows of ${tile} px wide tiles: ${state.width}x${state.height}`);
    assert.deepEqual(pageErrors(page), []);
  });
});
