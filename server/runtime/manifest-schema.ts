// The JSON Schema of a model bundle's manifest.json (models/BUNDLE_FORMAT.md, version 1), compiled once by ajv,
// and the TypeScript type it guarantees. Unknown extra fields are tolerated so that newer exporters can add
// information; everything the runtime reads is required and typed.
import { Ajv, type ErrorObject } from 'ajv';
import { strengthCurveProblem } from '../../nodes/kontext/math/strength-curve.js';

/** Tokenisation rules applied after encoding without special tokens. */
export interface TokenizerRules {
  max_length: number;
  bos_id: number | null;
  eos_id: number | null;
  pad_id: number;
  lowercase: boolean;
}

/** The roles a bundle's files play. */
export interface BundleFiles {
  text_encoder_clip: string;
  text_encoder_t5: string;
  projector?: string;
  transformer: string;
  vae_encoder: string;
  vae_decoder: string;
  preview_decoder?: string;
  tokenizer_clip: string;
  tokenizer_t5: string;
}

export type FileRole = keyof BundleFiles;

/** A validated manifest.json. */
export interface BundleManifest {
  format: 'kontinuous-bundle';
  format_version: 1;
  name: string;
  display_name: string;
  description?: string;
  license?: string;
  files: BundleFiles;
  sha256: Record<string, string>;
  dims: {
    clip_seq_len: number;
    pooled_dim: number;
    t5_seq_len: number;
    joint_dim: number;
    latent_channels: number;
    packed_channels: number;
    inner_dim: number;
    modulation_dim: number;
  };
  tokenizers: { clip: TokenizerRules; t5: TokenizerRules };
  vae: { downscale: number; scaling_factor: number; shift_factor: number };
  scheduler: {
    type: 'flow_match_euler';
    dynamic_shift: boolean;
    base_seq_len: number;
    max_seq_len: number;
    base_shift: number;
    max_shift: number;
  };
  resolutions: { native: [number, number]; preferred?: Array<[number, number]>; multiple_of: number };
  defaults: { steps: number; guidance: number; seed: number };
  /** strength_curve: knots [s, projector input] the user's strength is mapped through (nodes/kontext/math/strength-curve.ts). */
  kontinuous: { projector: boolean; lora: 'unmerged' | 'merged' | 'none'; strength_curve?: Array<[number, number]> };
  precision: 'fp32' | 'fp16';
  provenance?: Record<string, unknown>;
}

const positiveInt = { type: 'integer', minimum: 1 } as const;
const relativeFile = { type: 'string', minLength: 1, pattern: '^(?![/\\\\])(?!.*(^|[/\\\\])\\.\\.([/\\\\]|$))' } as const;
const size = { type: 'array', items: positiveInt, minItems: 2, maxItems: 2 } as const;
const tokenId = { type: ['integer', 'null'], minimum: 0 } as const;
const tokenizerRules = {
  type: 'object',
  required: ['max_length', 'bos_id', 'eos_id', 'pad_id', 'lowercase'],
  properties: {
    max_length: { type: 'integer', minimum: 2 },
    bos_id: tokenId,
    eos_id: tokenId,
    pad_id: { type: 'integer', minimum: 0 },
    lowercase: { type: 'boolean' },
  },
} as const;

/** manifest.json, format version 1. */
export const manifestSchema = {
  $id: 'https://kontinuous.studio/schemas/bundle-manifest-1.json',
  title: 'Kontinuous model bundle manifest, version 1',
  type: 'object',
  required: ['format', 'format_version', 'name', 'display_name', 'files', 'sha256', 'dims', 'tokenizers', 'vae', 'scheduler', 'resolutions', 'defaults', 'kontinuous', 'precision'],
  properties: {
    format: { const: 'kontinuous-bundle' },
    format_version: { const: 1 },
    name: { type: 'string', pattern: '^[a-z0-9._-]+$' },
    display_name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    license: { type: 'string' },
    files: {
      type: 'object',
      required: ['text_encoder_clip', 'text_encoder_t5', 'transformer', 'vae_encoder', 'vae_decoder', 'tokenizer_clip', 'tokenizer_t5'],
      properties: {
        text_encoder_clip: relativeFile,
        text_encoder_t5: relativeFile,
        projector: relativeFile,
        transformer: relativeFile,
        vae_encoder: relativeFile,
        vae_decoder: relativeFile,
        preview_decoder: relativeFile,
        tokenizer_clip: relativeFile,
        tokenizer_t5: relativeFile,
      },
      additionalProperties: relativeFile,
    },
    sha256: {
      type: 'object',
      propertyNames: relativeFile,
      additionalProperties: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
    dims: {
      type: 'object',
      required: ['clip_seq_len', 'pooled_dim', 't5_seq_len', 'joint_dim', 'latent_channels', 'packed_channels', 'inner_dim', 'modulation_dim'],
      properties: {
        clip_seq_len: positiveInt,
        pooled_dim: positiveInt,
        t5_seq_len: positiveInt,
        joint_dim: positiveInt,
        latent_channels: positiveInt,
        packed_channels: positiveInt,
        inner_dim: positiveInt,
        modulation_dim: positiveInt,
      },
    },
    tokenizers: { type: 'object', required: ['clip', 't5'], properties: { clip: tokenizerRules, t5: tokenizerRules } },
    vae: {
      type: 'object',
      required: ['downscale', 'scaling_factor', 'shift_factor'],
      properties: {
        downscale: positiveInt,
        scaling_factor: { type: 'number', exclusiveMinimum: 0 },
        shift_factor: { type: 'number' },
      },
    },
    scheduler: {
      type: 'object',
      required: ['type', 'dynamic_shift', 'base_seq_len', 'max_seq_len', 'base_shift', 'max_shift'],
      properties: {
        type: { const: 'flow_match_euler' },
        dynamic_shift: { type: 'boolean' },
        base_seq_len: positiveInt,
        max_seq_len: positiveInt,
        base_shift: { type: 'number' },
        max_shift: { type: 'number' },
      },
    },
    resolutions: {
      type: 'object',
      required: ['native', 'multiple_of'],
      properties: { native: size, preferred: { type: 'array', items: size }, multiple_of: positiveInt },
    },
    defaults: {
      type: 'object',
      required: ['steps', 'guidance', 'seed'],
      properties: { steps: positiveInt, guidance: { type: 'number', minimum: 0 }, seed: { type: 'integer', minimum: 0 } },
    },
    kontinuous: {
      type: 'object',
      required: ['projector', 'lora'],
      properties: {
        projector: { type: 'boolean' },
        lora: { enum: ['unmerged', 'merged', 'none'] },
        strength_curve: { type: 'array', minItems: 2, items: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 }, minItems: 2, maxItems: 2 } },
      },
    },
    precision: { enum: ['fp32', 'fp16'] },
    provenance: { type: 'object' },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(manifestSchema);

/** The result of checking a parsed manifest: the typed manifest, or readable problems. */
export type ManifestCheck = { ok: true; manifest: BundleManifest } | { ok: false; problems: string[] };

/** Validates parsed manifest JSON against the schema and the cross-field rules. */
export function validateManifest(value: unknown): ManifestCheck {
  if (!validate(value)) return { ok: false, problems: (validate.errors ?? []).map(describeError) };
  const manifest = value as unknown as BundleManifest;
  const problems: string[] = [];
  const { dims, tokenizers, vae, kontinuous, files } = manifest;
  if (tokenizers.clip.max_length !== dims.clip_seq_len) problems.push(`tokenizers.clip.max_length ${tokenizers.clip.max_length} differs from dims.clip_seq_len ${dims.clip_seq_len}`);
  if (tokenizers.t5.max_length !== dims.t5_seq_len) problems.push(`tokenizers.t5.max_length ${tokenizers.t5.max_length} differs from dims.t5_seq_len ${dims.t5_seq_len}`);
  if (dims.packed_channels !== dims.latent_channels * 4) problems.push(`dims.packed_channels ${dims.packed_channels} must be 4 x latent_channels (${dims.latent_channels * 4})`);
  if (dims.modulation_dim !== dims.inner_dim * 2) problems.push(`dims.modulation_dim ${dims.modulation_dim} must be 2 x inner_dim (${dims.inner_dim * 2})`);
  if (kontinuous.projector && !files.projector) problems.push('kontinuous.projector is true but files.projector is missing');
  const curveProblem = kontinuous.strength_curve && strengthCurveProblem(kontinuous.strength_curve);
  if (curveProblem) problems.push(`kontinuous.strength_curve ${curveProblem}`);
  const grid = vae.downscale * 2;
  const [w, h] = manifest.resolutions.native;
  if (w % grid !== 0 || h % grid !== 0) problems.push(`resolutions.native ${w}x${h} must be a multiple of ${grid} (twice the VAE downscale) to pack 2x2`);
  for (const [role, file] of Object.entries(files)) {
    if (!(file in manifest.sha256)) problems.push(`sha256 has no entry for ${file} (files.${role})`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, manifest };
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
  if (error.keyword === 'required') return `${where === '(top level)' ? '' : `${where}: `}missing field '${String(error.params.missingProperty)}'`;
  if (error.keyword === 'const') return `${where} must be ${JSON.stringify(error.params.allowedValue)}`;
  if (error.keyword === 'enum') return `${where} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'pattern' && error.params.pattern === relativeFile.pattern) return `${where} must be a path inside the bundle folder`;
  return `${where} ${error.message ?? 'is invalid'}`;
}
