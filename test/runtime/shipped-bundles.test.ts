// Every bundle shipped in models/ passes the full check (every file hashed, every graph against the contract)
// and the default one, kontext-tiny, has strength control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BundleRegistry } from '../../server/runtime/bundles.js';
import { checkBundle } from '../../server/runtime/bundle-check.js';
import { OnnxRuntime } from '../../server/runtime/onnx.js';

const modelsDir = path.join(import.meta.dirname, '..', '..', 'models');

test('the shipped bundles pass the full check', async () => {
  const runtime = new OnnxRuntime({ device: 'cpu', log: () => {} });
  const entries = new BundleRegistry([modelsDir]).list();
  assert.ok(entries.some((e) => e.name === 'kontext-tiny'), 'models/kontext-tiny is shipped');
  for (const entry of entries) {
    const check = await checkBundle(entry, runtime);
    assert.deepEqual(check.problems, [], `${entry.name}: ${check.problems.map((p) => p.message).join('; ')}`);
    await runtime.release();
    if (entry.name === 'kontext-tiny') {
      assert.ok(check.hasStrengthControl && check.hasLoraScale, 'kontext-tiny has the projector and the unmerged LoRA');
      assert.deepEqual(entry.manifest!.resolutions.native, [128, 128]);
    }
  }
});
