// onnxruntime-node against PyTorch: every component of the fixture bundle reproduces the exporter's vectors
// within the tolerance (1e-4), and the tokenizers produce the same ids as the Python tokenizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { OnnxRuntime, type TensorValue } from '../../server/runtime/onnx.js';
import { readBundle } from '../../server/runtime/bundles.js';
import { BundleTokenizer } from '../../server/runtime/tokenizer.js';
import type { FileRole } from '../../server/runtime/manifest-schema.js';
import { FIXTURE_DIR, readParity } from './fixture-bundle.js';

const parity = readParity();
const entry = readBundle(FIXTURE_DIR);
const runtime = new OnnxRuntime({ device: 'cpu', log: () => {} });
const tolerance = Math.min(parity.tolerance ?? 1e-4, 1e-4);

test('the fixture manifest is valid and the parity file covers every ONNX component', () => {
  assert.deepEqual(entry.problems, []);
  const components = new Set(parity.cases.map((c) => c.component));
  for (const role of ['text_encoder_clip', 'text_encoder_t5', 'projector', 'transformer', 'vae_encoder', 'vae_decoder']) {
    assert.ok(components.has(role), `parity.json has a case for ${role}`);
  }
});

for (const c of parity.cases) {
  test(`parity: ${c.component} / ${c.name}`, async () => {
    const file = entry.manifest!.files[c.component as FileRole];
    assert.ok(file, `manifest names a file for ${c.component}`);
    const session = await runtime.load(path.join(FIXTURE_DIR, file));
    const feeds: Record<string, TensorValue> = {};
    for (const [name, value] of Object.entries(c.inputs)) {
      const type = session.input(name)?.type;
      feeds[name] = type === 'int64'
        ? { data: BigInt64Array.from(value.data, (v) => BigInt(v)), dims: value.shape }
        : { data: Float32Array.from(value.data), dims: value.shape };
    }
    const outputs = await session.run(feeds);
    for (const [name, expected] of Object.entries(c.outputs)) {
      const actual = outputs[name];
      assert.ok(actual, `${file} produced '${name}'`);
      assert.deepEqual(actual.dims, expected.shape, `${name} shape`);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < expected.data.length; i++) {
        worst = Math.max(worst, Math.abs((actual.data as Float32Array)[i]! - expected.data[i]!));
        scale = Math.max(scale, Math.abs(expected.data[i]!));
      }
      assert.ok(scale > 0, `${name}: the expected output is not all zeros (a test that could not fail)`);
      assert.ok(worst <= tolerance, `${c.component}/${c.name} '${name}': max abs error ${worst} > ${tolerance}`);
    }
  });
}

for (const role of ['clip', 't5'] as const) {
  test(`tokenizer parity: ${role}`, () => {
    const manifest = entry.manifest!;
    const file = path.join(FIXTURE_DIR, role === 'clip' ? manifest.files.tokenizer_clip : manifest.files.tokenizer_t5);
    const tokenizer = BundleTokenizer.load(file, manifest.tokenizers[role]);
    assert.ok(parity.tokenizers[role].length > 0);
    for (const sample of parity.tokenizers[role]) {
      assert.deepEqual(tokenizer.rawIds(sample.text), sample.raw_ids, `raw ids of "${sample.text}"`);
      assert.deepEqual(tokenizer.encodeToNumbers(sample.text), sample.ids, `ids of "${sample.text}"`);
    }
  });
}

test('release the sessions', async () => {
  await runtime.release();
  assert.equal(runtime.loadedModels().length, 0);
});
