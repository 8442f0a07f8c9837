// Every HTTP route against a real server on an ephemeral port: shapes and status codes per COMFY_API.md.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readPngText } from '../../server/engine/workflow/png-text.js';
import { pngBytes, request, solidPrompt, startServer, upload, waitForHistory, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(async () => {
  await t.close();
});

describe('prompt submission', () => {
  it('accepts a valid prompt at /prompt and /api/prompt and runs it to history', async () => {
    for (const base of [t.url, `${t.url}/api`]) {
      const workflow = { last_node_id: 3, last_link_id: 2, nodes: [], links: [], groups: [], config: {}, extra: {}, version: 0.4 };
      const res = await request(`${base}/prompt`, {
        method: 'POST',
        json: { prompt: solidPrompt({ prefix: 'routes/p' }), client_id: 'c1', extra_data: { extra_pnginfo: { workflow } } },
      });
      assert.equal(res.status, 200);
      assert.match(res.body.prompt_id, /^[0-9a-f-]{36}$/);
      assert.equal(typeof res.body.number, 'number');
      assert.deepEqual(res.body.node_errors, {});
      const entry = await waitForHistory(t.url, res.body.prompt_id);
      assert.equal(entry.status.status_str, 'success');
      assert.equal(entry.status.completed, true);
      assert.equal(entry.prompt[1], res.body.prompt_id);
      assert.deepEqual(entry.prompt[4], ['3']);
      assert.equal(entry.prompt[3].client_id, 'c1');
      const image = entry.outputs['3'].images[0];
      assert.equal(image.type, 'output');
      assert.equal(image.subfolder, 'routes');
      assert.match(image.filename, /^p_\d{5}_\.png$/);
      // The saved PNG embeds the prompt and the workflow, and holds the inverted colour.
      const file = fs.readFileSync(path.join(t.dataDir, 'output', 'routes', image.filename));
      const text = readPngText(file);
      assert.equal(JSON.parse(text.prompt!)['2'].class_type, 'TestInvert');
      assert.deepEqual(JSON.parse(text.workflow!), workflow);
      const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([...data.subarray(0, 3)], [191, 128, 64]);
    }
  });

  it('counts output names up per prefix', async () => {
    const ids: string[] = [];
    for (const red of [0.1, 0.2]) {
      const res = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt: solidPrompt({ red, prefix: 'count/n' }) } });
      ids.push(res.body.prompt_id);
    }
    const names = [];
    for (const id of ids) names.push((await waitForHistory(t.url, id)).outputs['3'].images[0].filename);
    assert.deepEqual(names, ['n_00001_.png', 'n_00002_.png']);
  });

  it('answers ComfyUI error bodies for invalid prompts', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'no_prompt'],
      [{ prompt: { '1': { class_type: 'NoSuchNode', inputs: {} } } }, 'invalid_prompt'],
      [{ prompt: { '1': { class_type: 'TestSolid', inputs: { width: 8, height: 8, red: 0, green: 0, blue: 0, batch_size: 1 } } } }, 'prompt_no_outputs'],
      [{ prompt: { '1': { class_type: 'TestSolid', inputs: { width: 0, height: 8, red: 0, green: 0, blue: 0, batch_size: 1 } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } } } }, 'prompt_outputs_failed_validation'],
    ];
    for (const [body, type] of cases) {
      const res = await request(`${t.url}/prompt`, { method: 'POST', json: body });
      assert.equal(res.status, 400, type);
      assert.equal(res.body.error.type, type);
      assert.equal(typeof res.body.error.message, 'string');
      assert.ok('node_errors' in res.body);
    }
    const bad = await request(`${t.url}/prompt`, {
      method: 'POST',
      json: { prompt: { '1': { class_type: 'TestSolid', inputs: { width: 0, height: 8, red: 0, green: 0, blue: 0, batch_size: 1 } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } } } },
    });
    assert.equal(bad.body.node_errors['1'].errors[0].type, 'value_smaller_than_min');
    assert.equal(bad.body.node_errors['1'].class_type, 'TestSolid');
  });

  it('POST /free with free_memory clears the output cache, so an identical prompt runs again', async () => {
    const prompt = solidPrompt({ red: 0.42, output: 'PreviewImage' });
    const first = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt } });
    await waitForHistory(t.url, first.body.prompt_id);
    const cached = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt } });
    const cachedEntry = await waitForHistory(t.url, cached.body.prompt_id);
    // History keeps ComfyUI's execution_* events: execution_cached lists what came from the cache.
    const cachedNodes = (entry: { status: { messages: Array<[string, { nodes?: string[] }]> } }) =>
      entry.status.messages.find(([type]) => type === 'execution_cached')![1].nodes;
    assert.deepEqual(cachedNodes(cachedEntry), ['3']);
    const free = await request(`${t.url}/api/free`, { method: 'POST', json: { unload_models: false, free_memory: true } });
    assert.equal(free.status, 200);
    const again = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt } });
    assert.deepEqual(cachedNodes(await waitForHistory(t.url, again.body.prompt_id)), []);
  });

  it('GET /prompt reports queue_remaining', async () => {
    const res = await request(`${t.url}/api/prompt`);
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.exec_info.queue_remaining, 'number');
  });

  it('honours a client-chosen prompt_id and refuses reusing it', async () => {
    const first = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt: solidPrompt({ red: 0.9 }), prompt_id: 'my-own-id-1' } });
    assert.equal(first.body.prompt_id, 'my-own-id-1');
    await waitForHistory(t.url, 'my-own-id-1');
    const again = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt: solidPrompt({ red: 0.9 }), prompt_id: 'my-own-id-1' } });
    assert.equal(again.status, 400);
  });
});

describe('uploads, view and Load Image', () => {
  it('uploads, reuses identical content, renames different content, overwrites on request', async () => {
    const a = await pngBytes(8, 8);
    const b = await pngBytes(9, 9);
    const first = await upload(t.url, a, 'cat.png');
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { name: 'cat.png', subfolder: '', type: 'input' });
    const same = await upload(t.url, a, 'cat.png');
    assert.equal(same.body.name, 'cat.png');
    const other = await upload(`${t.url}/api`, b, 'cat.png');
    assert.equal(other.body.name, 'cat (1).png');
    const over = await upload(t.url, b, 'cat.png', { overwrite: 'true' });
    assert.equal(over.body.name, 'cat.png');
    assert.deepEqual(fs.readFileSync(path.join(t.dataDir, 'input', 'cat.png')), b);
    const sub = await upload(t.url, a, 'dog.png', { subfolder: 'pets', type: 'input' });
    assert.deepEqual(sub.body, { name: 'dog.png', subfolder: 'pets', type: 'input' });
  });

  it('lists uploads as Load Image choices and loads them (with the alpha as MASK)', async () => {
    await upload(t.url, await pngBytes(6, 4, true), 'alpha.png');
    const info = await request(`${t.url}/object_info/LoadImage`);
    const choices: string[] = info.body.LoadImage.input.required.image[0];
    assert.ok(choices.includes('alpha.png'));
    assert.ok(choices.includes('pets/dog.png'));
    assert.equal(info.body.LoadImage.input.required.image[1].image_upload, true);
    const res = await request(`${t.url}/prompt`, {
      method: 'POST',
      json: { prompt: { '1': { class_type: 'LoadImage', inputs: { image: 'alpha.png' } }, '2': { class_type: 'TestInvert', inputs: { images: ['1', 0] } }, '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'loaded' } } } },
    });
    assert.equal(res.status, 200);
    const entry = await waitForHistory(t.url, res.body.prompt_id);
    assert.equal(entry.status.status_str, 'success');
    const out = entry.outputs['3'].images[0];
    const meta = await sharp(path.join(t.dataDir, 'output', out.filename)).metadata();
    assert.equal(meta.width, 6);
    assert.equal(meta.height, 4);
    const missing = await request(`${t.url}/prompt`, {
      method: 'POST',
      json: { prompt: { '1': { class_type: 'LoadImage', inputs: { image: 'nope.png' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } } } },
    });
    assert.equal(missing.status, 400);
  });

  it('keys Load Image by the file content: overwriting an upload re-runs it, an unchanged file is cached', async () => {
    const run = async () => {
      const res = await request(`${t.url}/prompt`, {
        method: 'POST',
        json: { prompt: { '1': { class_type: 'LoadImage', inputs: { image: 'swap.png' } }, '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } } } },
      });
      const entry = await waitForHistory(t.url, res.body.prompt_id);
      return entry.status.messages.find(([type]: [string]) => type === 'execution_cached')[1].nodes as string[];
    };
    await upload(t.url, await pngBytes(3, 3), 'swap.png', { overwrite: 'true' });
    assert.deepEqual(await run(), []);
    assert.deepEqual((await run()).sort(), ['2']);
    await upload(t.url, await pngBytes(5, 5), 'swap.png', { overwrite: 'true' });
    assert.deepEqual(await run(), [], 'new content under the same name is not served from the cache');
  });

  it('serves images from /view with image content types, previews and channels', async () => {
    const png = await request(`${t.url}/view?filename=cat.png&type=input`);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.equal(png.headers.get('x-content-type-options'), 'nosniff');
    const webp = await fetch(`${t.url}/api/view?filename=cat.png&type=input&preview=webp;80`);
    assert.equal(webp.headers.get('content-type'), 'image/webp');
    assert.equal((await sharp(Buffer.from(await webp.arrayBuffer())).metadata()).format, 'webp');
    const alpha = await fetch(`${t.url}/view?filename=alpha.png&type=input&channel=a`);
    const alphaMeta = await sharp(Buffer.from(await alpha.arrayBuffer())).metadata();
    assert.equal(alphaMeta.channels, 1);
    const sub = await request(`${t.url}/view?filename=dog.png&subfolder=pets&type=input`);
    assert.equal(sub.status, 200);
    const missing = await request(`${t.url}/view?filename=missing.png&type=input`);
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.error.message, 'string');
  });
});

describe('information routes', () => {
  it('object_info lists every node in ComfyUI shape; one class; unknown is 200 {}', async () => {
    const all = await request(`${t.url}/object_info`);
    for (const id of ['LoadImage', 'SaveImage', 'PreviewImage', 'TestSlow']) assert.ok(all.body[id], id);
    const save = all.body.SaveImage;
    assert.deepEqual(save.input_order.required, ['images', 'filename_prefix']);
    assert.equal(save.output_node, true);
    assert.deepEqual(save.output, []);
    assert.deepEqual(all.body.LoadImage.output, ['IMAGE', 'MASK']);
    const one = await request(`${t.url}/api/object_info/PreviewImage`);
    assert.deepEqual(Object.keys(one.body), ['PreviewImage']);
    const unknown = await request(`${t.url}/object_info/Nope`);
    assert.equal(unknown.status, 200);
    assert.deepEqual(unknown.body, {});
  });

  it('system_stats is honest JSON', async () => {
    const res = await request(`${t.url}/system_stats`);
    assert.equal(res.status, 200);
    assert.equal(res.body.system.python_version, `node ${process.versions.node}`);
    assert.match(res.body.system.pytorch_version, /^onnxruntime-node \d+\.\d+/);
    assert.ok(res.body.system.ram_total > 0);
    assert.equal(res.body.devices[0].type, 'cpu');
  });

  it('embeddings, extensions, models, features', async () => {
    assert.deepEqual((await request(`${t.url}/embeddings`)).body, []);
    assert.deepEqual((await request(`${t.url}/api/extensions`)).body, []);
    assert.deepEqual((await request(`${t.url}/models`)).body, ['kontext']);
    assert.ok(Array.isArray((await request(`${t.url}/models/kontext`)).body));
    const features = await request(`${t.url}/features`);
    assert.equal(features.body.supports_preview_metadata, true);
  });

  it('answers / with JSON or the built editor, and unknown routes with a JSON 404', async () => {
    const root = await request(`${t.url}/`);
    assert.equal(root.status, 200);
    const notFound = await request(`${t.url}/no/such/route`);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.body.error.type, 'not_found');
  });
});

describe('workflow library', () => {
  const workflow = {
    last_node_id: 1,
    last_link_id: 0,
    nodes: [{ id: 1, type: 'PreviewImage', pos: [0, 0], size: [200, 100], flags: {}, order: 0, mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: null }], outputs: [], properties: {}, widgets_values: [] }],
    links: [],
    groups: [],
    config: {},
    extra: {},
    version: 0.4,
  };

  it('saves, lists, gets and deletes workflows; refuses bad names and invalid files', async () => {
    const saved = await request(`${t.url}/api/workflows/my edit`, { method: 'POST', json: workflow });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.body.name, 'my edit');
    const conflict = await request(`${t.url}/api/workflows/my edit`, { method: 'POST', json: workflow });
    assert.equal(conflict.status, 409);
    const put = await request(`${t.url}/api/workflows/my edit`, { method: 'PUT', json: workflow });
    assert.equal(put.status, 200);
    const list = await request(`${t.url}/api/workflows`);
    assert.ok(list.body.workflows.some((w: { name: string; source: string }) => w.name === 'my edit' && w.source === 'saved'));
    const got = await request(`${t.url}/api/workflows/my edit.json`);
    assert.equal(got.body.source, 'saved');
    assert.equal(got.body.workflow.nodes[0].type, 'PreviewImage');
    for (const bad of ['..', '.hidden', 'a/b', 'x'.repeat(150)]) {
      const res = await request(`${t.url}/api/workflows/${encodeURIComponent(bad)}`, { method: 'PUT', json: workflow });
      assert.ok(res.status === 400 || res.status === 404, `${bad}: ${res.status}`);
    }
    const invalid = await request(`${t.url}/api/workflows/broken`, { method: 'PUT', json: { nodes: 'no' } });
    assert.equal(invalid.status, 400);
    assert.equal((await request(`${t.url}/api/workflows/my edit`, { method: 'DELETE' })).status, 200);
    assert.equal((await request(`${t.url}/api/workflows/my edit`)).status, 404);
    assert.equal((await request(`${t.url}/api/workflows/my edit`, { method: 'DELETE' })).status, 404);
  });

  it('lists shipped templates read-only', async () => {
    const list = await request(`${t.url}/api/workflows`);
    const templates = fs.readdirSync(path.join(t.server.context.config.repoDir, 'workflows')).filter((f) => f.endsWith('.json'));
    const listed = list.body.workflows.filter((w: { source: string }) => w.source === 'template');
    assert.equal(listed.length, templates.length);
    // Shipped templates say what they do (their extra.description), for the library panel.
    const masked = listed.find((w: { name: string }) => w.name === 'masked-edit');
    assert.match(masked?.description ?? '', /an edit inside a painted area/i);
    if (templates.length > 0) {
      const name = templates[0]!.slice(0, -5);
      const got = await request(`${t.url}/api/workflows/${encodeURIComponent(name)}?source=template`);
      assert.equal(got.status, 200);
      assert.equal((await request(`${t.url}/api/workflows/${encodeURIComponent(name)}`, { method: 'DELETE' })).status, 403);
    }
  });
});
