// A masked edit as a user makes one in the browser: the masked-edit template opened from the Library panel, its
// mask repainted in the mask editor, then queued twice with two instructions. Outside the painted area both results
// are the same source pixels; inside they differ: the instruction acts only where the mask is.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { pageErrors, REPO, useEditorSession, type ProductServer } from './harness.js';

let server: ProductServer;
let page: Page;

/** The output files the finished prompts listed for node `id`, in the order the prompts ran. */
async function outputsOf(id: string): Promise<Array<{ filename: string; subfolder: string; type: string }>> {
  const history = (await (await fetch(`${server.url}/history`)).json()) as Record<string, { outputs: Record<string, { images?: Array<{ filename: string; subfolder: string; type: string }> }> }>;
  return Object.values(history).flatMap((entry) => entry.outputs[id]?.images ?? []);
}

async function pixels(ref: { filename: string; subfolder: string; type: string }): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path.join(server.dataDir, ref.type, ref.subfolder, ref.filename)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function queueAndWait(runs: number): Promise<void> {
  await page.locator('#kx-queue').click();
  for (let waited = 0; (await outputsOf('11')).length < runs; waited += 200) {
    assert.ok(waited < 90_000, 'the masked edit finished');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('a masked edit in the editor (chromium, real model)', () => {
  // As `npm start` runs it, plus the fixture bundle for machines without kontext-tiny.
  useEditorSession({ env: { KONTINUOUS_MODEL_DIRS: path.join(REPO, 'test', 'fixtures', 'bundles') } }, (session) => {
    ({ server, page } = session);
  });

  it('edits only inside the painted area', async () => {
    await page.getByRole('button', { name: 'Library', exact: true }).click();
    const row = page.locator('li', { hasText: 'masked-edit' });
    assert.match((await row.locator('.kx-library-description').textContent())!, /inside a painted area/);
    await row.getByRole('button', { name: 'Open' }).click();
    await page.waitForFunction(() => window.kontinuous.graph.nodes.some((n: { type: string }) => n.type === 'ImageCompositeMasked'));
    const info = (await (await fetch(`${server.url}/object_info/KontextModelLoader`)).json()) as { KontextModelLoader: { input: { required: { bundle: [string[]] } } } };
    const bundle = info.KontextModelLoader.input.required.bundle[0].includes('kontext-tiny') ? 'kontext-tiny' : 'kontext-fixture';
    await page.evaluate((b) => window.kontinuous.app.setWidget(2, 'bundle', b), bundle);

    // Repaint the mask: clear the template's ellipse, paint one band across the left part of the photo.
    await page.evaluate(() => window.kontinuous.graph.getNodeById(1).editMask());
    const layer = page.locator('.kx-mask-editor canvas.kx-mask-layer');
    await layer.waitFor();
    await page.locator('.kx-mask-editor').getByRole('button', { name: 'Clear' }).click();
    await page.locator('.kx-mask-editor input[aria-label="Brush size"]').evaluate((input) => {
      (input as HTMLInputElement).value = '80';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const box = (await layer.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.5, { steps: 10 });
    await page.mouse.up();
    await page.locator('.kx-mask-editor').getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector('.kx-mask-editor', { state: 'detached' });
    const image = await page.evaluate(() => window.kontinuous.graph.getNodeById(1).widgets[0].value as string);
    assert.match(image, /^clipspace\/clipspace-mask-\d+\.png$/);

    await queueAndWait(1);
    await page.evaluate(() => window.kontinuous.app.setWidget(5, 'instruction', 'make it night'));
    await queueAndWait(2);
    const [sketch, night] = await outputsOf('11');
    const [a, b] = [await pixels(sketch!), await pixels(night!)];
    const mask = await pixels((await outputsOf('12')).at(-1)!);
    assert.deepEqual([a.width, a.height], [mask.width, mask.height]);
    let outside = 0;
    let outsideDiffers = 0;
    let inside = 0;
    let insideChange = 0;
    for (let p = 0; p < a.width * a.height; p++) {
      const m = mask.data[p * 3]!;
      const change = Math.abs(a.data[p * 3]! - b.data[p * 3]!) + Math.abs(a.data[p * 3 + 1]! - b.data[p * 3 + 1]!) + Math.abs(a.data[p * 3 + 2]! - b.data[p * 3 + 2]!);
      if (m === 0) {
        outside++;
        if (change > 0) outsideDiffers++;
      } else if (m === 255) {
        inside++;
        insideChange += change;
      }
    }
    assert.ok(inside > 0.05 * a.width * a.height && outside > 0.4 * a.width * a.height, `the band covers part of the image (${inside} in, ${outside} out)`);
    assert.equal(outsideDiffers, 0, 'outside the mask both edits are the same source pixels');
    assert.ok(insideChange / inside > 3, `inside, the instructions differ (mean change ${(insideChange / inside).toFixed(1)} of 765)`);
    assert.deepEqual(pageErrors(page), []);
  });

  it('an output\'s node menu downloads it or puts it into Load Image', async () => {
    // Bring Save Image (#11) into view at scale 1 and right-click its title.
    const title = await page.evaluate(() => {
      const { graph, canvas } = window.kontinuous;
      const node = graph.getNodeById(11);
      canvas.ds.scale = 1;
      canvas.ds.offset = [-node.pos[0] + 60, -node.pos[1] + 80];
      canvas.setDirty(true, true);
      const rect = canvas.canvas.getBoundingClientRect();
      return { x: rect.left + 60 + 40, y: rect.top + 80 - 15 };
    });
    const menu = async (entry: string) => {
      await page.mouse.click(title.x, title.y, { button: 'right' });
      await page.locator('.litecontextmenu .litemenu-entry', { hasText: entry }).click();
    };
    const shown = (await outputsOf('11')).at(-1)!.filename;
    const [download] = await Promise.all([page.waitForEvent('download'), menu('Save image')]);
    assert.equal(download.suggestedFilename(), shown);
    const before = await page.evaluate(() => window.kontinuous.graph.getNodeById(1).widgets[0].value as string);
    await menu('Use as input image');
    await page.waitForFunction((was) => window.kontinuous.graph.getNodeById(1).widgets[0].value !== was, before, { timeout: 10_000 });
    const now = await page.evaluate(() => window.kontinuous.graph.getNodeById(1).widgets[0].value as string);
    assert.equal(now, shown, 'Load Image now reads the output (uploaded to input/)');
    assert.ok(fs.existsSync(path.join(server.dataDir, 'input', now)));
    assert.deepEqual(pageErrors(page), []);
  });
});
