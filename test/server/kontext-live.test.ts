// A Kontinuous edit on kontext-tiny through the product server as `npm start` runs it: the prompt over HTTP,
// progress and previews over /ws, an interrupt in the middle of a long denoise (which runs on the onnxruntime
// thread), then the next edit's image downloaded through /view.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import sharp from 'sharp';
import { allNodes } from '../../nodes/index.js';
import { NodeRegistry } from '../../server/engine/registry.js';
import { loadInput } from '../../server/cli/load-input.js';
import { applySets } from '../../server/cli/overrides.js';
import type { Prompt } from '../../server/engine/index.js';
import { startProductServer, type ProductServer } from '../e2e/harness.js';
import { request, WsRecorder } from './helpers.js';

const WORKFLOW = path.join(import.meta.dirname, '..', '..', 'workflows', 'kontinuous-edit.json');
let server: ProductServer;

before(async () => {
  server = await startProductServer();
});
after(async () => {
  await server?.stop();
});

/** The shipped default workflow as an API prompt, with Denoise's steps and the strength set. */
function editPrompt(steps: number, strength: number): Prompt {
  const registry = new NodeRegistry(allNodes);
  const { prompt } = loadInput(WORKFLOW, registry);
  applySets(prompt, null, [
    { node: 'KontextDenoise', input: 'steps', value: String(steps) },
    { node: 'KontextStrength', input: 'value', value: String(strength) },
  ], registry);
  return prompt;
}

async function submit(prompt: Prompt, clientId: string): Promise<string> {
  const res = await request(`${server.url}/prompt`, { method: 'POST', json: { prompt, client_id: clientId } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.prompt_id as string;
}

it('interrupts a long kontext-tiny denoise within steps, then runs the next edit to a PNG', async () => {
  const ws = new WsRecorder(server.url, 'kontext-live');
  await ws.opened();
  const denoiseProgress = (id: string): number[] =>
    ws.messages.filter((m) => m.type === 'progress' && m.data.prompt_id === id && m.data.node === '8').map((m) => m.data.value as number);

  const long = await submit(editPrompt(200, 0.7), 'kontext-live');
  await ws.until(() => denoiseProgress(long).some((v) => v >= 3), 60_000);
  const atInterrupt = Math.max(...denoiseProgress(long));
  const res = await request(`${server.url}/interrupt`, { method: 'POST', json: {} });
  assert.equal(res.status, 200);
  await ws.until(() => ws.typesFor(long).includes('execution_interrupted'), 30_000);
  // The interrupt travels over HTTP while steps of ~10 ms go on: the denoise must stop well short of its 200
  // steps (the engine tests bound it to the step in flight once the server has the interrupt).
  const last = Math.max(...denoiseProgress(long));
  assert.ok(last <= atInterrupt + 20 && last < 100, `progress went on to step ${last} of 200 after an interrupt sent at step ${atInterrupt}`);

  const next = await submit(editPrompt(4, 0.9), 'kontext-live');
  await ws.until(() => ws.typesFor(next).includes('execution_success'), 60_000);
  assert.deepEqual(denoiseProgress(next), [1, 2, 3, 4]);
  assert.ok(ws.binary.length > 0, 'step previews arrived as binary frames');
  const saved = ws.messages.find((m) => m.type === 'executed' && m.data.prompt_id === next && m.data.node === '10')!;
  const image = saved.data.output.images[0];
  const view = await fetch(`${server.url}/view?${new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type })}`);
  assert.equal(view.status, 200);
  assert.equal(view.headers.get('content-type'), 'image/png');
  const meta = await sharp(Buffer.from(await view.arrayBuffer())).metadata();
  assert.equal(meta.format, 'png');
  assert.ok(meta.width! >= 64 && meta.height! >= 64, `a real edit, ${meta.width}x${meta.height}`);
  ws.close();
});
