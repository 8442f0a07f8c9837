// The bundle check: every file present and intact (sha256), every ONNX graph declaring the inputs and outputs the
// contract wants with shapes that agree with the manifest's dims, and whether the transformer has strength
// control. Problems name the file and, for shapes, the input; nothing is thrown for a broken bundle.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BundleEntry } from './bundles.js';
import { bundleContracts, formatSpec, shapeMismatch, type ModelContract } from './bundle-contract.js';
import type { BundleManifest, FileRole } from './manifest-schema.js';
import { formatShape, type ModelSession, type OnnxRuntime } from './onnx.js';

/** One thing wrong with a bundle. */
export interface BundleProblem {
  file?: string;
  input?: string;
  message: string;
}

/** What the check found. */
export interface BundleCheck {
  name: string;
  dir: string;
  ok: boolean;
  problems: BundleProblem[];
  /** The transformer takes `modulation` and the bundle has a projector. */
  hasStrengthControl: boolean;
  /** Why strength nodes refuse this bundle; null when it has strength control. */
  strengthControlMessage: string | null;
  hasLoraScale: boolean;
  hasPreviewDecoder: boolean;
  /** Files present but not hashed because of `hashMaxBytes`. */
  unhashed: string[];
}

export interface CheckOptions {
  /** Hash every file (slow for multi-GB bundles; results are cached per file size and mtime). Default true. */
  verifyHashes?: boolean;
  /** Skip hashing files larger than this (loading a multi-GB bundle stays quick); listed in `unhashed`. */
  hashMaxBytes?: number;
  /** Load each ONNX graph to compare its inputs with the contract. Default true. */
  loadSessions?: boolean;
}

/** Checks a bundle folder; never throws for problems in the bundle itself. */
export async function checkBundle(entry: BundleEntry, runtime: OnnxRuntime, options: CheckOptions = {}): Promise<BundleCheck> {
  const result: BundleCheck = {
    name: entry.name,
    dir: entry.dir,
    ok: false,
    problems: entry.problems.map((message) => ({ file: 'manifest.json', message })),
    hasStrengthControl: false,
    strengthControlMessage: null,
    hasLoraScale: false,
    hasPreviewDecoder: false,
    unhashed: [],
  };
  const manifest = entry.manifest;
  if (!manifest) {
    result.strengthControlMessage = `model bundle '${entry.name}' cannot be used: its manifest is invalid`;
    return result;
  }
  const usable = new Set<string>();
  const files = new Set<string>([...Object.values(manifest.files), ...Object.keys(manifest.sha256)]);
  for (const file of files) {
    const full = path.join(entry.dir, file);
    if (!fs.existsSync(full)) {
      result.problems.push({ file, message: `missing file ${file} in ${entry.dir}` });
      continue;
    }
    const expected = manifest.sha256[file];
    const tooBig = options.hashMaxBytes !== undefined && fs.statSync(full).size > options.hashMaxBytes;
    if (tooBig) result.unhashed.push(file);
    if (expected && options.verifyHashes !== false && !tooBig) {
      const actual = await sha256File(full);
      if (actual !== expected) {
        result.problems.push({ file, message: `corrupt file ${file}: its sha256 is ${actual.slice(0, 12)}… but the manifest says ${expected.slice(0, 12)}… (re-copy or re-export it)` });
        continue;
      }
    }
    usable.add(file);
  }

  const contracts = bundleContracts(manifest);
  const sessions: Partial<Record<FileRole, ModelSession>> = {};
  if (options.loadSessions !== false) {
    for (const [role, contract] of Object.entries(contracts) as Array<[FileRole, ModelContract]>) {
      const file = manifest.files[role];
      if (file === undefined || !usable.has(file) || !externalDataUsable(manifest, file, usable)) continue;
      try {
        const session = await runtime.load(path.join(entry.dir, file));
        sessions[role] = session;
        result.problems.push(...contractProblems(file, session, contract));
      } catch (error) {
        result.problems.push({ file, message: (error as Error).message });
      }
    }
  }

  const transformer = sessions.transformer;
  result.hasLoraScale = transformer?.hasInput('lora_scale') ?? false;
  result.hasPreviewDecoder = manifest.files.preview_decoder !== undefined && usable.has(manifest.files.preview_decoder);
  if (transformer && !transformer.hasInput('modulation')) {
    result.strengthControlMessage = `model bundle '${entry.name}' is plain Kontext: its transformer (${manifest.files.transformer}) has no 'modulation' input, so it has no strength control; use it without the Strength and Projector nodes`;
  } else if (!manifest.files.projector || !manifest.kontinuous.projector) {
    result.strengthControlMessage = `model bundle '${entry.name}' has no projector, so it has no strength control; use it without the Strength and Projector nodes`;
  } else if (transformer) {
    result.hasStrengthControl = true;
  } else {
    result.strengthControlMessage = `model bundle '${entry.name}': strength control unknown, its transformer could not be loaded`;
  }
  if (transformer && manifest.kontinuous.lora === 'unmerged' && !result.hasLoraScale) {
    result.problems.push({ file: manifest.files.transformer, input: 'lora_scale', message: `manifest says kontinuous.lora is 'unmerged' but ${manifest.files.transformer} has no 'lora_scale' input` });
  }
  result.ok = result.problems.length === 0;
  return result;
}

/** Problems of one loaded graph against its contract. */
export function contractProblems(file: string, session: ModelSession, contract: ModelContract): BundleProblem[] {
  const problems: BundleProblem[] = [];
  for (const spec of contract.inputs) {
    const input = session.input(spec.name!);
    if (!input) {
      if (!spec.optional) problems.push({ file, input: spec.name!, message: `${file} lacks input '${spec.name}' ${formatSpec(spec.shape)} (it has: ${session.inputs.map((i) => i.name).join(', ')})` });
      continue;
    }
    if (input.type !== spec.type) problems.push({ file, input: input.name, message: `${file} input '${input.name}' is ${input.type}, the contract wants ${spec.type}` });
    const mismatch = shapeMismatch(input.shape, spec.shape);
    if (mismatch) problems.push({ file, input: input.name, message: `${file} input '${input.name}' has shape ${formatShape(input.shape)} but the manifest's dims give ${formatSpec(spec.shape)}: ${mismatch}` });
  }
  for (const input of session.inputs) {
    if (!contract.inputs.some((spec) => spec.name === input.name)) problems.push({ file, input: input.name, message: `${file} has input '${input.name}' that the bundle contract does not know` });
  }
  for (const spec of contract.outputs) {
    const output = spec.name === null ? session.outputs[0] : session.output(spec.name);
    if (!output) {
      problems.push({ file, message: `${file} lacks output '${spec.name ?? '(any)'}' ${formatSpec(spec.shape)}` });
      continue;
    }
    if (output.type !== spec.type) problems.push({ file, message: `${file} output '${output.name}' is ${output.type}, the contract wants ${spec.type}` });
    const mismatch = shapeMismatch(output.shape, spec.shape);
    if (mismatch) problems.push({ file, message: `${file} output '${output.name}' has shape ${formatShape(output.shape)} but the manifest's dims give ${formatSpec(spec.shape)}: ${mismatch}` });
  }
  return problems;
}

/** External-data files named after a model (`x.onnx.data`) must have passed too before it is loaded. */
function externalDataUsable(manifest: BundleManifest, file: string, usable: Set<string>): boolean {
  return Object.keys(manifest.sha256).filter((other) => other !== file && other.startsWith(`${file}`)).every((other) => usable.has(other));
}

const hashCache = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/** Streaming sha256 of a file, remembered per path, size and modification time. */
export async function sha256File(file: string): Promise<string> {
  const stat = fs.statSync(file);
  const cached = hashCache.get(file);
  if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.hash;
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  hashCache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, hash: hex });
  return hex;
}
