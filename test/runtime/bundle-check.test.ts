// The bundle check on damaged copies of the fixture: each problem names the file (and the input, for shapes),
// and loading such a bundle fails with the same words; a transformer without `modulation` is plain Kontext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BundleRegistry, readBundle } from '../../server/runtime/bundles.js';
import { checkBundle } from '../../server/runtime/bundle-check.js';
import { KontextPipeline } from '../../server/runtime/kontext-pipeline.js';
import { OnnxRuntime } from '../../server/runtime/onnx.js';
import { FIXTURE_NAME, PLAIN_TRANSFORMER, copyFixture, editManifest, sha256 } from './fixture-bundle.js';

const runtime = new OnnxRuntime({ device: 'cpu', log: () => {} });

async function checkCopy(damage: (dir: string) => void) {
  const copy = copyFixture();
  try {
    damage(copy.dir);
    const registry = new BundleRegistry([copy.root]);
    const check = await checkBundle(registry.list()[0]!, runtime);
    const pipeline = new KontextPipeline(registry, runtime);
    const loadError = await pipeline.loadBundle(FIXTURE_NAME).then(() => null, (error: Error) => error);
    return { check, loadError };
  } finally {
    await runtime.release();
    copy.cleanup();
  }
}

test('the intact fixture passes and has strength control', async () => {
  const { check, loadError } = await checkCopy(() => {});
  assert.deepEqual(check.problems, []);
  assert.ok(check.ok && check.hasStrengthControl && check.hasLoraScale);
  assert.equal(check.strengthControlMessage, null);
  assert.equal(loadError, null);
});

test('a missing file is named', async () => {
  const { check, loadError } = await checkCopy((dir) => fs.rmSync(path.join(dir, 'vae_decoder.onnx')));
  assert.ok(!check.ok);
  assert.deepEqual(check.problems.map((p) => p.file), ['vae_decoder.onnx']);
  assert.match(check.problems[0]!.message, /missing file vae_decoder\.onnx in .*kontext-fixture/);
  assert.match(loadError!.message, /model bundle 'kontext-fixture' .* cannot be used: missing file vae_decoder\.onnx/);
});

test('a corrupt file is named by its sha256 mismatch', async () => {
  const { check, loadError } = await checkCopy((dir) => {
    const file = path.join(dir, 'transformer.onnx');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(file, bytes);
  });
  assert.deepEqual(check.problems.map((p) => p.file), ['transformer.onnx']);
  assert.match(check.problems[0]!.message, /corrupt file transformer\.onnx: its sha256 is [0-9a-f]{12}… but the manifest says [0-9a-f]{12}…/);
  assert.match(loadError!.message, /corrupt file transformer\.onnx/);
});

test('an input whose shape disagrees with the manifest dims is named', async () => {
  const { check, loadError } = await checkCopy((dir) => editManifest(dir, (m) => void (m.dims.pooled_dim = 24)));
  assert.ok(!check.ok);
  const transformer = check.problems.find((p) => p.file === 'transformer.onnx');
  assert.ok(transformer, 'the transformer is reported');
  assert.equal(transformer.input, 'pooled_projections');
  assert.match(transformer.message, /transformer\.onnx input 'pooled_projections' has shape \[batch,16\] but the manifest's dims give \[B,pooled_dim=24\]: dim 1 is 16, pooled_dim is 24/);
  assert.ok(check.problems.some((p) => p.file === 'projector.onnx' && p.input === 'pooled'));
  assert.match(loadError!.message, /input 'pooled_projections' has shape/);
});

test('a transformer without modulation is plain Kontext: loads, but has no strength control', async () => {
  const copy = copyFixture();
  try {
    fs.copyFileSync(PLAIN_TRANSFORMER, path.join(copy.dir, 'transformer.onnx'));
    editManifest(copy.dir, (m) => {
      m.sha256['transformer.onnx'] = sha256(path.join(copy.dir, 'transformer.onnx'));
      m.kontinuous.lora = 'none';
    });
    const pipeline = new KontextPipeline(new BundleRegistry([copy.root]), runtime);
    const handle = await pipeline.loadBundle(FIXTURE_NAME);
    assert.ok(!pipeline.hasStrengthControl(handle));
    const message = pipeline.strengthControlMessage(handle)!;
    assert.match(message, /model bundle 'kontext-fixture' is plain Kontext: its transformer \(transformer\.onnx\) has no 'modulation' input, so it has no strength control/);
    const text = await pipeline.encodeText(handle, 'make the sky red');
    await assert.rejects(pipeline.project(handle, [0.5], text.pooled), (error: Error) => error.message === message);
    const reference = await pipeline.encodeImage(handle, { data: new Float32Array(3 * 32 * 32), dims: [1, 3, 32, 32] });
    const request = { text, refLatent: reference, strengths: [], seed: 1, steps: 2, guidance: 2.5, width: 32, height: 32 };
    const latent = await pipeline.denoise(handle, { ...request, modulation: null });
    assert.deepEqual(latent.dims, [1, 16, 4, 4]);
    const fakeModulation = { data: new Float32Array(64), dims: [1, 64] };
    await assert.rejects(pipeline.denoise(handle, { ...request, modulation: fakeModulation }), /is plain Kontext/);
  } finally {
    await runtime.release();
    copy.cleanup();
  }
});

test('an unmerged-LoRA manifest over a transformer without lora_scale is reported', async () => {
  const { check } = await checkCopy((dir) => {
    fs.copyFileSync(PLAIN_TRANSFORMER, path.join(dir, 'transformer.onnx'));
    editManifest(dir, (m) => void (m.sha256['transformer.onnx'] = sha256(path.join(dir, 'transformer.onnx'))));
  });
  assert.ok(!check.hasStrengthControl);
  assert.deepEqual(check.problems.map((p) => p.input), ['lora_scale']);
  assert.match(check.problems[0]!.message, /kontinuous\.lora is 'unmerged' but transformer\.onnx has no 'lora_scale' input/);
});

test('an invalid manifest or an unknown bundle name gives a readable error', async () => {
  const copy = copyFixture();
  try {
    editManifest(copy.dir, (m) => {
      delete m.dims;
      m.format_version = 2;
    });
    const registry = new BundleRegistry([copy.root]);
    assert.deepEqual(registry.names(), []);
    const [entry] = registry.list();
    assert.deepEqual(entry!.problems.sort(), ['manifest.json: format_version must be 1', "manifest.json: missing field 'dims'"]);
    const pipeline = new KontextPipeline(registry, runtime);
    await assert.rejects(pipeline.loadBundle(FIXTURE_NAME), /model bundle 'kontext-fixture' .* has an invalid manifest\.json: manifest\.json: /);
    await assert.rejects(pipeline.loadBundle('flux-kontext'), /no model bundle named 'flux-kontext' in .* \(available: kontext-fixture\)/);
  } finally {
    copy.cleanup();
  }
});

test('a manifest is parsed again only when its file changes, even in place to the same size', async () => {
  const copy = copyFixture();
  try {
    // Just written: file times tick in jiffies, so a fresh file is read every time.
    assert.notEqual(readBundle(copy.dir), readBundle(copy.dir));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const settled = readBundle(copy.dir);
    assert.equal(readBundle(copy.dir), settled, 'an unchanged settled file is not parsed again');
    const file = path.join(copy.dir, 'manifest.json');
    const text = fs.readFileSync(file, 'utf8');
    const description = settled.manifest!.description!;
    const edited = text.replace(description, `${description.slice(0, -1)}#`);
    assert.equal(edited.length, text.length);
    fs.writeFileSync(file, edited);
    assert.equal(readBundle(copy.dir).manifest!.description, `${description.slice(0, -1)}#`);
  } finally {
    copy.cleanup();
  }
});
