// The side panels in a real browser: the batch count queues several runs, the queue panel cancels one pending run,
// the history panel shows each run's outcome, duration, failure and thumbnails and reopens the workflow of a past
// run, and the server's workflow library
// opens templates and saves the current graph.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pageErrors, useEditorSession, type Browser, type ProductServer } from './harness.js';

let server: ProductServer;
let browser: Browser;
let page: Page;

/** TestSolid -> TestSlow -> SaveImage: slow enough that a batch leaves runs pending. */
function slowWorkflow(stepMs: number) {
  return {
    last_node_id: 3,
    last_link_id: 2,
    nodes: [
      { id: 1, type: 'TestSolid', pos: [0, 0], size: [260, 200], flags: {}, order: 0, mode: 0, outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1] }], properties: {}, widgets_values: [16, 16, 0.2, 0.6, 0.9, 1] },
      { id: 2, type: 'TestSlow', pos: [320, 0], size: [260, 160], flags: {}, order: 1, mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 1 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [2] }], properties: {}, widgets_values: [5, stepMs, false, ''] },
      { id: 3, type: 'SaveImage', pos: [640, 0], size: [260, 260], flags: {}, order: 2, mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 2 }], properties: {}, widgets_values: ['panel'] },
    ],
    links: [[1, 1, 0, 2, 0, 'IMAGE'], [2, 2, 0, 3, 0, 'IMAGE']],
    groups: [],
    config: {},
    extra: {},
    version: 0.4,
  };
}

describe('queue, history and library panels (chromium)', () => {
  useEditorSession({ testNodes: true }, (session) => ({ server, browser, page } = session));

  it('queues the batch count and cancels one pending run from the queue panel', async () => {
    await page.evaluate((wf) => window.kontinuous.app.openWorkflow(wf, 'slow'), slowWorkflow(200));
    await page.locator('#kx-batch').fill('3');
    await page.locator('#kx-queue').click();
    await page.waitForFunction(() => document.querySelectorAll('.kx-queue-running').length === 1 && document.querySelectorAll('.kx-queue-pending').length === 2, undefined, { timeout: 20_000 });
    const cancelled = await page.locator('.kx-queue-pending').first().getAttribute('data-prompt-id');
    await page.locator('.kx-queue-pending').first().getByRole('button', { name: 'Cancel' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.kx-queue-pending').length <= 1);
    // The other two finish; the cancelled one never reaches history.
    await page.waitForFunction(() => window.kontinuous.app.tracker.queueRemaining === 0 && document.querySelectorAll('.kx-queue-running').length === 0, undefined, { timeout: 30_000 });
    const history = (await (await fetch(`${server.url}/history`)).json()) as Record<string, unknown>;
    assert.equal(Object.keys(history).length, 2);
    assert.ok(!(cancelled! in history));
    await page.locator('#kx-batch').fill('1');
  });

  it('shows past runs with thumbnails and reopens the workflow of one', async () => {
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('.kx-history-item').length === 2);
    await page.waitForFunction(() => [...document.querySelectorAll('.kx-history-item img')].some((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0));
    // Each run says how it ended and how long it took (5 steps of 200 ms); a thumbnail opens the full image.
    const first = page.locator('.kx-history-item').first();
    assert.equal(await first.locator('.kx-history-outcome').textContent(), 'success');
    const seconds = Number((await first.locator('.kx-history-when').textContent())!.match(/([\d.]+) s$/)?.[1]);
    assert.ok(seconds >= 1 && seconds < 20, `duration ${seconds} s`);
    const href = await first.locator('.kx-thumbs a').first().getAttribute('href');
    assert.match(href!, /\/view\?filename=panel_\d+_\.png&/);
    assert.doesNotMatch(href!, /preview=/, 'the link is the full image, not the thumbnail');
    const tabs = await page.evaluate(() => window.kontinuous.app.tabs.tabs.length);
    await page.locator('.kx-history-item').first().getByRole('button', { name: 'Load workflow' }).click();
    await page.waitForFunction((n) => window.kontinuous.app.tabs.tabs.length === n + 1, tabs);
    const types = await page.evaluate(() => window.kontinuous.graph.nodes.map((n: { type: string }) => n.type).sort());
    assert.deepEqual(types, ['SaveImage', 'TestSlow', 'TestSolid']);
  });

  it('names the node and the message of a failed run in its history entry', async () => {
    const failing = slowWorkflow(10) as { nodes: Array<Record<string, unknown>> };
    failing.nodes[1] = { ...failing.nodes[1], type: 'TestFail', widgets_values: ['the test node failed on purpose'] };
    await page.evaluate((wf) => window.kontinuous.app.openWorkflow(wf, 'failing'), failing);
    await page.locator('#kx-queue').click();
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.waitForSelector('.kx-history-item.kx-status-error .kx-history-failure');
    const failure = await page.locator('.kx-history-item.kx-status-error .kx-history-failure').first().textContent();
    assert.match(failure!, /^TestFail #2: .*the test node failed on purpose/);
  });

  it('opens a template from the library and saves the graph to it', async () => {
    await page.getByRole('button', { name: 'Library', exact: true }).click();
    await page.waitForSelector('[data-workflow="strength-sweep"]');
    await page.locator('[data-workflow="strength-sweep"]').getByRole('button', { name: 'Open' }).click();
    await page.waitForFunction(() => window.kontinuous.app.tabs.current?.name === 'strength-sweep');
    const mode = await page.evaluate(() => window.kontinuous.graph.nodes.find((n: { type: string }) => n.type === 'KontextStrength').widgets[0].value);
    assert.equal(mode, 'sweep');

    page.once('dialog', (dialog) => void dialog.accept('my-sweep'));
    await page.getByRole('button', { name: 'Save to library' }).click();
    await page.waitForSelector('[data-workflow="my-sweep"]');
    const saved = await (await fetch(`${server.url}/api/workflows/my-sweep?source=saved`)).json();
    assert.equal(saved.workflow.nodes.length, await page.evaluate(() => window.kontinuous.graph.nodes.length));
    assert.deepEqual(pageErrors(page), []);
  });
});
