// The manifest JSON Schema and its cross-field rules (models/BUNDLE_FORMAT.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateManifest } from '../../server/runtime/manifest-schema.js';

const hex = (c: string) => c.repeat(64);

/** The FLUX.1 Kontext + Kontinuous manifest exactly as BUNDLE_FORMAT.md shows it. */
function fluxManifest(): Record<string, any> {
  const files = {
    text_encoder_clip: 'text_encoder_clip.onnx',
    text_encoder_t5: 'text_encoder_t5.onnx',
    projector: 'projector.onnx',
    transformer: 'transformer.onnx',
    vae_encoder: 'vae_encoder.onnx',
    vae_decoder: 'vae_decoder.onnx',
    preview_decoder: 'preview_decoder.onnx',
    tokenizer_clip: 'tokenizer_clip.json',
    tokenizer_t5: 'tokenizer_t5.json',
  };
  const sha256: Record<string, string> = Object.fromEntries(Object.values(files).map((f) => [f, hex('a')]));
  sha256['transformer.onnx.data'] = hex('b');
  return {
    format: 'kontinuous-bundle',
    format_version: 1,
    name: 'flux-kontext-kontinuous',
    display_name: 'FLUX.1 Kontext + Kontinuous',
    description: 'the real model',
    license: 'FLUX.1 [dev] Non-Commercial License',
    files,
    sha256,
    dims: { clip_seq_len: 77, pooled_dim: 768, t5_seq_len: 512, joint_dim: 4096, latent_channels: 16, packed_channels: 64, inner_dim: 3072, modulation_dim: 6144 },
    tokenizers: {
      clip: { max_length: 77, bos_id: 49406, eos_id: 49407, pad_id: 49407, lowercase: true },
      t5: { max_length: 512, bos_id: null, eos_id: 1, pad_id: 0, lowercase: false },
    },
    vae: { downscale: 8, scaling_factor: 0.3611, shift_factor: 0.1159 },
    scheduler: { type: 'flow_match_euler', dynamic_shift: true, base_seq_len: 256, max_seq_len: 4096, base_shift: 0.5, max_shift: 1.15 },
    resolutions: { native: [1024, 1024], preferred: [[672, 1568], [1024, 1024], [1568, 672]], multiple_of: 16 },
    defaults: { steps: 28, guidance: 2.5, seed: 64 },
    kontinuous: { projector: true, lora: 'unmerged' },
    precision: 'fp16',
    provenance: { exporter: 'training.export v1' },
  };
}

function problemsOf(edit: (m: Record<string, any>) => void): string[] {
  const manifest = fluxManifest();
  edit(manifest);
  const result = validateManifest(manifest);
  return result.ok ? [] : result.problems;
}

test('the documented FLUX manifest is valid and typed', () => {
  const result = validateManifest(fluxManifest());
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  assert.equal(result.manifest.dims.modulation_dim, 6144);
  assert.equal(result.manifest.tokenizers.t5.bos_id, null);
  // a newer exporter's extra fields are tolerated
  assert.deepEqual(problemsOf((m) => void (m.future_field = { anything: true })), []);
});

test('schema violations are reported by field', () => {
  assert.deepEqual(problemsOf((m) => void (m.format = 'other')), ['format must be "kontinuous-bundle"']);
  assert.deepEqual(problemsOf((m) => void (m.name = 'Flux Kontext')), ['name must match pattern "^[a-z0-9._-]+$"']);
  assert.deepEqual(problemsOf((m) => void delete m.dims.joint_dim), ["dims: missing field 'joint_dim'"]);
  assert.deepEqual(problemsOf((m) => void (m.kontinuous.lora = 'fused')), ['kontinuous.lora must be one of "unmerged", "merged", "none"']);
  assert.deepEqual(problemsOf((m) => void (m.precision = 'bf16')), ['precision must be one of "fp32", "fp16"']);
  assert.deepEqual(problemsOf((m) => void (m.vae.scaling_factor = 0)), ['vae.scaling_factor must be > 0']);
  assert.deepEqual(problemsOf((m) => void (m.sha256['transformer.onnx'] = 'xyz')), ['sha256.transformer.onnx must match pattern "^[0-9a-f]{64}$"']);
});

test('file paths must stay inside the bundle folder', () => {
  for (const bad of ['../elsewhere.onnx', '/abs/transformer.onnx', 'sub/../../x.onnx']) {
    const problems = problemsOf((m) => void (m.files.transformer = bad));
    assert.ok(problems.includes('files.transformer must be a path inside the bundle folder'), `${bad}: ${problems.join('; ')}`);
  }
  assert.deepEqual(problemsOf((m) => {
    m.files.transformer = 'weights/transformer.onnx';
    m.sha256['weights/transformer.onnx'] = hex('c');
  }), []);
});

test('cross-field rules: tokenizer lengths, packed and modulation widths, hashes, projector, native size', () => {
  assert.deepEqual(problemsOf((m) => void (m.tokenizers.clip.max_length = 76)), ['tokenizers.clip.max_length 76 differs from dims.clip_seq_len 77']);
  assert.deepEqual(problemsOf((m) => void (m.dims.packed_channels = 60)), ['dims.packed_channels 60 must be 4 x latent_channels (64)']);
  assert.deepEqual(problemsOf((m) => void (m.dims.modulation_dim = 3072)), ['dims.modulation_dim 3072 must be 2 x inner_dim (6144)']);
  assert.deepEqual(problemsOf((m) => void delete m.sha256['vae_decoder.onnx']), ['sha256 has no entry for vae_decoder.onnx (files.vae_decoder)']);
  assert.deepEqual(problemsOf((m) => void delete m.files.projector), ['kontinuous.projector is true but files.projector is missing']);
  assert.deepEqual(problemsOf((m) => void (m.kontinuous.strength_curve = [[0, 0], [0.6, 0.5], [0.4, 0.7], [1, 1]])), ['kontinuous.strength_curve must increase strictly (knot 2 does not)']);
  assert.deepEqual(problemsOf((m) => void (m.kontinuous.strength_curve = [[0, 0], [0.5, 1.5], [1, 1]])), ['kontinuous.strength_curve.1.1 must be <= 1']);
  assert.deepEqual(problemsOf((m) => void (m.kontinuous.strength_curve = [[0, 0], [0.5, 0.7], [1, 1]])), []);
  assert.deepEqual(problemsOf((m) => void (m.resolutions.native = [1000, 1000])), ['resolutions.native 1000x1000 must be a multiple of 16 (twice the VAE downscale) to pack 2x2']);
});
