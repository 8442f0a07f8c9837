// `npm run cli -- models`: every bundle the registry finds, what it is, and whether it is usable. The default
// check is quick (files present); --check hashes every file and loads every graph against the contract.
import fs from 'node:fs';
import path from 'node:path';
import { BundleRegistry, type BundleEntry } from '../runtime/bundles.js';
import { checkBundle, type BundleCheck } from '../runtime/bundle-check.js';
import { OnnxRuntime, type DeviceChoice } from '../runtime/onnx.js';
import { REPO_DIR } from '../config.js';
import type { ModelsArgs } from './args.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** The bundle folders the CLI and server search: models/ in the repository, then any extra directories. */
export function bundleDirs(extra: readonly string[]): string[] {
  return [path.join(REPO_DIR, 'models'), ...extra.map((dir) => path.resolve(dir))];
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

function describe(entry: BundleEntry, check: BundleCheck, thorough: boolean): Record<string, unknown> {
  const m = entry.manifest;
  return {
    name: entry.name,
    display_name: m?.display_name ?? null,
    dir: entry.dir,
    size_mb: Number((folderBytes(entry.dir) / 2 ** 20).toFixed(1)),
    native: m?.resolutions.native ?? null,
    defaults: m?.defaults ?? null,
    precision: m?.precision ?? null,
    strength_control: thorough ? check.hasStrengthControl : Boolean(m?.kontinuous.projector && m.files.projector),
    ok: check.ok,
    checked: thorough ? 'hashes and graphs' : 'files present',
    problems: check.problems.map((p) => (p.input ? `${p.file}: input ${p.input}: ${p.message}` : p.message)),
  };
}

/** Lists and checks the bundles; returns exit 3 when any bundle has a problem, 0 otherwise. */
export async function modelsCommand(args: ModelsArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<ExitCode> {
  const registry = new BundleRegistry(bundleDirs(args.modelsDirs));
  const entries = registry.list();
  const runtime = new OnnxRuntime({ device: (args.device ?? 'auto') as DeviceChoice, log: (message) => err.write(`${message}\n`) });
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const entry of entries) {
      const check = await checkBundle(entry, runtime, { verifyHashes: args.check, loadSessions: args.check });
      rows.push(describe(entry, check, args.check));
    }
  } finally {
    await runtime.release();
  }
  if (args.json) {
    out.write(`${JSON.stringify({ dirs: registry.dirs, bundles: rows }, null, 2)}\n`);
  } else if (rows.length === 0) {
    out.write(`no model bundles in ${registry.dirs.join(', ')}\n`);
  } else {
    for (const row of rows) {
      const native = Array.isArray(row.native) ? `${row.native[0]}x${row.native[1]}` : '?';
      const strength = row.strength_control ? 'strength control' : 'no strength control';
      out.write(`${row.ok ? 'ok ' : 'BAD'} ${row.name}  ${row.display_name ?? ''}  ${native}  ${row.size_mb} MB  ${strength}  (${row.checked})\n`);
      out.write(`    ${row.dir}\n`);
      for (const problem of row.problems as string[]) out.write(`    problem: ${problem}\n`);
    }
    if (!args.check) out.write('(run with --check to verify checksums and load every graph)\n');
  }
  return rows.some((row) => !row.ok) ? EXIT.modelProblem : EXIT.ok;
}
