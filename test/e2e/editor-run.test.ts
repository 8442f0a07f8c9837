// Running graphs from the editor in a real browser, with the server's image nodes and its test stub nodes (no model
// needed): upload through Load Image's file picker, paste, queue with the button, progress and previews, output
// images in the node, errors on the right node (validation and execution), and dropping a saved PNG restores it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pageErrors, samplePngPath, useEditorSession, type Browser, type ProductServer } from './harness.js';

let server: ProductServer;
let browser: Browser;
let page: Page;

/** LoadImage -> TestSlow (progress + previews) -> TestInvert -> SaveImage, plus an optional TestFail branch. */
function stubWorkflow(image: string, withFailure = false) {
  const node = (id: number, type: string, x: number, y: number, extra: Record<string, unknown>) => ({ id, type, pos: [x, y], size: [260, 120], flags: {}, order: id, mode: 0, properties: {}, ...extra });
  const nodes = [
    node(1, 'LoadImage', 0, 0, { outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1, 4] }, { name: 'MASK', type: 'MASK', links: [] }], widgets_values: [image] }),
    node(2, 'TestSlow', 320, 0, { inputs: [{ name: 'images', type: 'IMAGE', link: 1 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [2] }], widgets_values: [4, 120, true, ''] }),
    node(3, 'TestInvert', 640, 0, { inputs: [{ name: 'images', type: 'IMAGE', link: 2 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [3] }] }),
    node(4, 'SaveImage', 960, 0, { inputs: [{ name: 'images', type: 'IMAGE', link: 3 }], widgets_values: ['e2e'] }),
  ];
  const links: unknown[] = [[1, 1, 0, 2, 0, 'IMAGE'], [2, 2, 0, 3, 0, 'IMAGE'], [3, 3, 0, 4, 0, 'IMAGE']];
  if (withFailure) {
    nodes.push(node(5, 'TestFail', 320, 300, { inputs: [{ name: 'images', type: 'IMAGE', link: 4 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [5] }], widgets_values: ['the failing branch failed on purpose'] }));
    nodes.push(node(6, 'PreviewImage', 640, 300, { inputs: [{ name: 'images', type: 'IMAGE', link: 5 }] }));
    links.push([4, 1, 0, 5, 0, 'IMAGE'], [5, 5, 0, 6, 0, 'IMAGE']);
  }
  return { last_node_id: nodes.length, last_link_id: links.length, nodes, links, groups: [], config: {}, extra: {}, version: 0.4 };
}

describe('running from the editor (chromium, stub nodes)', () => {
  let uploaded = '';

  useEditorSession({ testNodes: true }, (session) => ({ server, browser, page } = session));

  it('uploads an image through Load Image\'s file picker and shows its thumbnail', async () => {
    // The sample image the server seeds into input/ loads into the node's thumbnail asynchronously and can move
    // the button: wait for it, then locate the button afresh for each try.
    await page.waitForFunction(() => {
      const node = window.kontinuous.graph.nodes.find((n: { type: string }) => n.type === 'LoadImage');
      return window.kontinuous.app.nodeView(node.id).imageElements.every((img: HTMLImageElement) => img.complete);
    });
    const locate = () => page.evaluate(() => {
      const { graph, canvas } = window.kontinuous;
      const node = graph.nodes.find((n: { type: string }) => n.type === 'LoadImage');
      const button = node.widgets.find((w: { type: string }) => w.type === 'button');
      // Where the upload button is drawn, in page pixels.
      const [ox, oy] = canvas.ds.offset;
      const scale = canvas.ds.scale;
      const rect = canvas.canvas.getBoundingClientRect();
      return { id: node.id, x: rect.left + (node.pos[0] + node.size[0] / 2 + ox) * scale, y: rect.top + (node.pos[1] + button.y + 10 + oy) * scale };
    });
    let chooser;
    let loadImage = await locate();
    for (let attempt = 0; attempt < 3 && !chooser; attempt++) {
      loadImage = await locate();
      [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 5000 }).catch(() => undefined), page.mouse.click(loadImage.x, loadImage.y)]);
    }
    assert.ok(chooser, 'clicking the upload button opens a file chooser');
    await chooser.setFiles(samplePngPath());
    await page.waitForFunction((id) => {
      const view = window.kontinuous.app.nodeView(id);
      return view.imageElements.length === 1 && view.imageElements[0].complete && view.imageElements[0].naturalWidth > 0;
    }, loadImage.id);
    uploaded = await page.evaluate((id) => window.kontinuous.graph.getNodeById(id).widgets[0].value, loadImage.id);
    assert.equal(uploaded, 'chelsea.png');
    const listed = await (await fetch(`${server.url}/object_info/LoadImage`)).json();
    assert.ok(listed.LoadImage.input.required.image[0].includes('chelsea.png'), 'the server lists the upload');
  });

  it('queues with the button and shows progress, previews and the output image', async () => {
    await page.evaluate((wf) => window.kontinuous.app.openWorkflow(wf, 'stub-run'), stubWorkflow(uploaded));
    await page.locator('#kx-queue').click();
    // While TestSlow runs: it is marked running with a progress value, and per-step previews arrive.
    await page.waitForFunction(() => window.kontinuous.app.nodeView(2).running && window.kontinuous.graph.getNodeById(2).progress > 0);
    await page.waitForFunction(() => window.kontinuous.app.tracker.previewsSeen > 0);
    await page.waitForFunction(() => {
      const view = window.kontinuous.app.nodeView(4);
      return view.images.length === 1 && view.imageElements[0]?.complete && view.imageElements[0].naturalWidth > 0;
    });
    const state = await page.evaluate(() => ({ image: window.kontinuous.app.nodeView(4).images[0], running: window.kontinuous.graph.nodes.filter((n: { id: number }) => window.kontinuous.app.nodeView(n.id).running).length }));
    assert.equal(state.image.type, 'output');
    assert.match(state.image.filename, /^e2e_/);
    assert.equal(state.running, 0, 'nothing is marked running after the run');
    // Each node that ran shows how long it took: TestSlow sleeps 4 steps x 120 ms.
    const times = await page.evaluate(() => [1, 2, 3, 4].map((id) => ({ ms: window.kontinuous.app.nodeView(id).ranMs, badges: window.kontinuous.graph.getNodeById(id).badges.map((b: { text: string }) => b.text) })));
    assert.ok(times.every((t) => typeof t.ms === 'number'), `every node that ran has a time: ${JSON.stringify(times)}`);
    assert.ok(times[1]!.ms >= 470 && times[1]!.ms < 5000, `TestSlow took its 480 ms (${times[1]!.ms})`);
    assert.ok(times[1]!.badges.some((b: string) => /^\d+ ms$/.test(b)), `its badge says so: ${times[1]!.badges.join(', ')}`);
  });

  it('marks cached nodes on a second identical run', async () => {
    await page.evaluate(() => window.kontinuous.app.setWidget(4, 'filename_prefix', 'e2e'));
    const before = await page.evaluate(() => window.kontinuous.app.nodeView(4).images[0].filename);
    await page.locator('#kx-queue').click();
    await page.waitForFunction((name) => window.kontinuous.app.nodeView(4).images[0]?.filename !== name, before);
    // Load Image's output is reused; TestSlow is declared non-deterministic, so it and its dependants re-run.
    await page.waitForFunction(() => window.kontinuous.app.nodeView(1).cached === true);
    const state = await page.evaluate(() => ({ badges: window.kontinuous.graph.getNodeById(1).badges.map((b: { text: string }) => b.text), slowCached: window.kontinuous.app.nodeView(2).cached }));
    assert.ok(state.badges.includes('cached'));
    assert.ok(!state.badges.some((b: string) => / (ms|s)$/.test(b)), `a cached node shows no run time: ${state.badges.join(', ')}`);
    assert.equal(state.slowCached, false);
  });

  it('shows an execution error on the node that failed while the other branch finishes', async () => {
    await page.evaluate((wf) => window.kontinuous.app.openWorkflow(wf, 'stub-failure'), stubWorkflow(uploaded, true));
    await page.evaluate(() => window.kontinuous.app.setWidget(2, 'step_ms', 10));
    await page.locator('#kx-queue').click();
    await page.waitForFunction(() => Boolean(window.kontinuous.app.nodeView(5).error));
    await page.waitForFunction(() => window.kontinuous.app.nodeView(4).images.length === 1);
    const state = await page.evaluate(() => ({
      error: window.kontinuous.app.nodeView(5).error,
      hasErrors: window.kontinuous.graph.getNodeById(5).has_errors,
      others: [1, 2, 3, 4, 6].filter((id) => window.kontinuous.app.nodeView(id).error),
    }));
    assert.match(state.error, /the failing branch failed on purpose/);
    assert.equal(state.hasErrors, true);
    assert.deepEqual(state.others, []);
  });

  it('shows validation errors on the nodes the server names', async () => {
    // Disconnect SaveImage's input: the server rejects the prompt and names node 4.
    await page.evaluate(() => {
      const { graph } = window.kontinuous;
      graph.getNodeById(4).disconnectInput(0);
      graph.getNodeById(6).disconnectInput(0);
    });
    await page.locator('#kx-queue').click();
    await page.waitForFunction(() => Boolean(window.kontinuous.app.nodeView(4).error));
    const error = await page.evaluate(() => window.kontinuous.app.nodeView(4).error);
    assert.match(error, /images/i);
    const toast = await page.locator('.kx-toast-error').last().textContent();
    assert.ok(toast && toast.length > 10);
  });

  it('restores the workflow of a saved PNG dropped on the canvas', async () => {
    // A PNG that SaveImage wrote in the first run carries the "stub-run" workflow.
    const saved = await page.evaluate(() => window.kontinuous.app.tabs.tabs.length);
    const history = await (await fetch(`${server.url}/history`)).json() as Record<string, { outputs: Record<string, { images?: Array<{ filename: string }> }> }>;
    const filename = Object.values(history).flatMap((h) => Object.values(h.outputs).flatMap((o) => o.images ?? [])).map((i) => i.filename).find((f) => f.startsWith('e2e_'));
    assert.ok(filename, 'a saved PNG exists');
    const bytes = Buffer.from(await (await fetch(`${server.url}/view?filename=${filename}&type=output`)).arrayBuffer()).toString('base64');
    const box = (await page.locator('#kx-canvas').boundingBox())!;
    const dataTransfer = await page.evaluateHandle(({ b64, name }) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type: 'image/png' }));
      return transfer;
    }, { b64: bytes, name: filename! });
    // Drop on empty canvas, far from any node.
    const at = { clientX: box.x + box.width - 20, clientY: box.y + box.height - 20 };
    await page.dispatchEvent('.kx-canvas-host', 'dragover', { dataTransfer, ...at });
    await page.dispatchEvent('.kx-canvas-host', 'drop', { dataTransfer, ...at });
    await page.waitForFunction((n) => window.kontinuous.app.tabs.tabs.length === n + 1, saved);
    const types = await page.evaluate(() => window.kontinuous.graph.nodes.map((n: { type: string }) => n.type).sort());
    assert.deepEqual(types, ['LoadImage', 'SaveImage', 'TestInvert', 'TestSlow']);
  });

  it('pastes an image into the selected Load Image node', async () => {
    const bytes = fs.readFileSync(samplePngPath()).toString('base64');
    await page.evaluate(() => {
      const { graph, canvas } = window.kontinuous;
      canvas.selectNode(graph.getNodeById(1));
    });
    await page.evaluate((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'pasted.png', { type: 'image/png' }));
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }));
    }, bytes);
    await page.waitForFunction(() => window.kontinuous.graph.getNodeById(1).widgets[0].value === 'pasted.png');
    assert.deepEqual(pageErrors(page), []);
  });

  it('uploads an image dropped onto the Load Image node', async () => {
    const bytes = fs.readFileSync(samplePngPath()).toString('base64');
    const target = await page.evaluate(() => {
      const { graph, canvas } = window.kontinuous;
      const node = graph.getNodeById(1);
      const rect = canvas.canvas.getBoundingClientRect();
      const [ox, oy] = canvas.ds.offset;
      const s = canvas.ds.scale;
      return { clientX: rect.left + (node.pos[0] + node.size[0] / 2 + ox) * s, clientY: rect.top + (node.pos[1] + node.size[1] / 2 + oy) * s };
    });
    const tabs = await page.evaluate(() => window.kontinuous.app.tabs.tabs.length);
    const dataTransfer = await page.evaluateHandle((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'dropped.png', { type: 'image/png' }));
      return transfer;
    }, bytes);
    await page.dispatchEvent('.kx-canvas-host', 'dragover', { dataTransfer, ...target });
    await page.dispatchEvent('.kx-canvas-host', 'drop', { dataTransfer, ...target });
    await page.waitForFunction(() => window.kontinuous.graph.getNodeById(1).widgets[0].value === 'dropped.png');
    assert.equal(await page.evaluate(() => window.kontinuous.app.tabs.tabs.length), tabs, 'an image without a workflow opens no tab');
  });
});
