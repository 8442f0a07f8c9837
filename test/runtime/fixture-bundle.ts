// Shared by the runtime tests: where the random-weight fixture bundle lives (written by the model tooling,
// `python -m training.export --config fixture --random`), and copies of it to damage in a temp dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The fixture bundle folder (KONTEXT_FIXTURE_DIR overrides it, e.g. for a freshly exported copy). */
export const FIXTURE_DIR = process.env.KONTEXT_FIXTURE_DIR ?? path.join(import.meta.dirname, '..', 'fixtures', 'bundles', 'kontext-fixture');
export const FIXTURE_NAME = 'kontext-fixture';
export const PLAIN_TRANSFORMER = path.join(import.meta.dirname, 'fixtures', 'plain-transformer.onnx');

/** A temp folder of bundles holding a copy of the fixture; returns both paths. */
export function copyFixture(name = FIXTURE_NAME): { root: string; dir: string; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
  const dir = path.join(root, name);
  fs.cpSync(FIXTURE_DIR, dir, { recursive: true });
  if (name !== FIXTURE_NAME) editManifest(dir, (m) => void (m.name = name));
  return { root, dir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** Rewrites a bundle's manifest.json through `edit`. */
export function editManifest(dir: string, edit: (manifest: Record<string, any>) => void): void {
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(manifest);
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The parity vectors the exporter wrote beside the fixture. */
export interface ParityFile {
  bundle: string;
  tolerance: number;
  cases: Array<{
    component: string;
    name: string;
    inputs: Record<string, { shape: number[]; data: number[] }>;
    outputs: Record<string, { shape: number[]; data: number[] }>;
  }>;
  tokenizers: Record<'clip' | 't5', Array<{ text: string; raw_ids: number[]; ids: number[] }>>;
}

export function readParity(): ParityFile {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'parity.json'), 'utf8')) as ParityFile;
}
