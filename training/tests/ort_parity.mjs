// Runs a bundle's ONNX files through onnxruntime-node on the inputs of a parity.json and prints, as JSON, the
// max absolute and relative error of every case. Used by the Python export tests (torch has no onnxruntime
// here); usage: node training/tests/ort_parity.mjs BUNDLE_DIR PARITY_JSON
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const [dir, parityFile] = process.argv.slice(2);
const parity = JSON.parse(fs.readFileSync(parityFile, 'utf8'));
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const results = [];
for (const c of parity.cases) {
  const session = await ort.InferenceSession.create(path.join(dir, manifest.files[c.component]));
  const feeds = {};
  for (const [name, t] of Object.entries(c.inputs)) {
    feeds[name] = t.dtype === 'int64'
      ? new ort.Tensor('int64', BigInt64Array.from(t.data.map((v) => BigInt(v))), t.shape)
      : new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
  }
  const out = await session.run(feeds);
  for (const [name, want] of Object.entries(c.outputs)) {
    const got = out[name] ?? out[session.outputNames[0]];
    let maxAbs = 0;
    let scale = 0;
    for (let i = 0; i < want.data.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(got.data[i] - want.data[i]));
      scale = Math.max(scale, Math.abs(want.data[i]));
    }
    results.push({ component: c.component, case: c.name, output: name, shape: got.dims, want_shape: want.shape,
      max_abs: maxAbs, max_rel: maxAbs / Math.max(scale, 1e-12) });
  }
}
console.log(JSON.stringify(results));
