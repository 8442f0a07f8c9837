// The page survives a server restart: it shows that the server is away, reconnects by itself when the server is
// back on the same port, shows the queue as the server has it, and runs prompts again without a reload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, openEditor, pageErrors, startProductServer, type Browser, type ProductServer } from './harness.js';

let server: ProductServer;
let browser: Browser;
let page: Page;

function slowPrompt(label: string, stepMs: number) {
  return {
    '1': { class_type: 'TestSolid', inputs: { width: 8, height: 8, red: 0.1, green: 0.2, blue: 0.3, batch_size: 1 } },
    '2': { class_type: 'TestSlow', inputs: { images: ['1', 0], steps: 20, step_ms: stepMs, previews: false, label } },
    '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
  };
}

describe('reconnecting after a server restart (chromium)', () => {
  before(async () => {
    await ensureClientBuilt();
    server = await startProductServer({ testNodes: true });
    browser = await launchBrowser();
    page = await openEditor(browser.context, server.url);
    await page.waitForFunction(() => window.kontinuous.app.connectionState === 'connected');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('shows the outage, reconnects, and shows the queue as it is', async () => {
    const { port, dataDir } = server;
    await server.stop();
    await page.waitForFunction(() => window.kontinuous.app.connectionState === 'disconnected');
    assert.equal(await page.locator('#kx-banner').isVisible(), true);

    server = await startProductServer({ testNodes: true, port, dataDir });
    await page.waitForFunction(() => window.kontinuous.app.connectionState === 'connected', undefined, { timeout: 30_000 });
    assert.equal(await page.locator('#kx-banner').isVisible(), false);
    assert.equal(await page.locator('#kx-connection').textContent(), 'connected');

    // Another client fills the queue: one running, two waiting. The open queue panel follows the server.
    for (const label of ['a', 'b', 'c']) {
      const answer = await fetch(`${server.url}/prompt`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt: slowPrompt(label, 150), client_id: 'script' }) });
      assert.equal(answer.status, 200, await answer.text());
    }
    await page.waitForFunction(() => document.querySelectorAll('.kx-queue-running').length === 1 && document.querySelectorAll('.kx-queue-pending').length === 2, undefined, { timeout: 20_000 });

    // Clear from the panel, interrupt, and the panel empties.
    await page.getByRole('button', { name: 'Clear pending' }).click();
    await page.getByRole('button', { name: 'Interrupt' }).first().click();
    await page.waitForFunction(() => document.querySelectorAll('.kx-queue-running').length === 0 && document.querySelectorAll('.kx-queue-pending').length === 0, undefined, { timeout: 20_000 });
  });

  it('runs a prompt from the editor after the restart', async () => {
    const workflow = {
      last_node_id: 2,
      last_link_id: 1,
      nodes: [
        { id: 1, type: 'TestSolid', pos: [0, 0], size: [260, 200], flags: {}, order: 0, mode: 0, outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1] }], properties: {}, widgets_values: [16, 16, 0.9, 0.1, 0.1, 1] },
        { id: 2, type: 'PreviewImage', pos: [320, 0], size: [260, 260], flags: {}, order: 1, mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 1 }], properties: {} },
      ],
      links: [[1, 1, 0, 2, 0, 'IMAGE']],
      groups: [],
      config: {},
      extra: {},
      version: 0.4,
    };
    await page.evaluate((wf) => window.kontinuous.app.openWorkflow(wf, 'after-restart'), workflow);
    await page.locator('#kx-queue').click();
    await page.waitForFunction(() => window.kontinuous.app.nodeView(2).images.length === 1, undefined, { timeout: 20_000 });
    assert.deepEqual(pageErrors(page), []);
  });
});
