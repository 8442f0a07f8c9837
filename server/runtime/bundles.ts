// The registry of model bundles: every folder with a manifest.json under models/ and the extra directories
// from config. Manifests are read on each listing (they are small), so bundles copied in while the server runs
// appear without a restart.
import fs from 'node:fs';
import path from 'node:path';
import { validateManifest, type BundleManifest, type FileRole } from './manifest-schema.js';

/** One bundle folder as found on disk: its manifest, or why it cannot be used. */
export interface BundleEntry {
  name: string;
  dir: string;
  manifest: BundleManifest | null;
  problems: string[];
}

/** Bundles in a set of directories (each a folder of bundles, or a bundle folder itself). */
export class BundleRegistry {
  readonly dirs: readonly string[];

  constructor(dirs: readonly string[]) {
    this.dirs = dirs.map((dir) => path.resolve(dir));
  }

  /** Every bundle folder found, valid or not; the first directory wins when two hold the same name. */
  list(): BundleEntry[] {
    const found = new Map<string, BundleEntry>();
    for (const dir of this.dirs) {
      for (const bundleDir of bundleFolders(dir)) {
        const entry = readBundle(bundleDir);
        if (!found.has(entry.name)) found.set(entry.name, entry);
      }
    }
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Names of the bundles whose manifests are valid (the model loader's choices). */
  names(): string[] {
    return this.list().filter((entry) => entry.manifest !== null).map((entry) => entry.name);
  }

  /**
   * The bundle called `name` with a valid manifest.
   * @throws Error listing the available bundles when there is none, or the manifest's problems.
   */
  get(name: string): BundleEntry & { manifest: BundleManifest } {
    const entries = this.list();
    const entry = entries.find((e) => e.name === name);
    if (!entry) {
      const available = entries.map((e) => e.name);
      throw new Error(`no model bundle named '${name}' in ${this.dirs.join(', ')} (available: ${available.length > 0 ? available.join(', ') : 'none'})`);
    }
    if (!entry.manifest) throw new Error(`model bundle '${name}' (${entry.dir}) has an invalid manifest.json: ${entry.problems.join('; ')}`);
    return entry as BundleEntry & { manifest: BundleManifest };
  }
}

/** Absolute path of a bundle file by role; undefined for an optional role the bundle lacks. */
export function bundleFile(entry: { dir: string; manifest: BundleManifest }, role: FileRole): string | undefined {
  const relative = entry.manifest.files[role];
  return relative === undefined ? undefined : path.join(entry.dir, relative);
}

/** Parsed manifests by path, with the file's identity when read: every prompt fingerprints the model loader
 * (its manifest's checksums), so an unchanged file is not read and schema-checked again each time. */
const parsed = new Map<string, { stamp: string; entry: BundleEntry }>();
/** File times tick in jiffies: a file changed this recently may change again under the same stamp. */
const SETTLED_MS = 2000;

/** Reads and validates one bundle folder's manifest.json (again only when the file changed). */
export function readBundle(dir: string): BundleEntry {
  const manifestPath = path.join(dir, 'manifest.json');
  let stamp: string | null = null;
  try {
    const st = fs.statSync(manifestPath, { bigint: true });
    const changedMs = Number((st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) / 1_000_000n);
    if (Date.now() - changedMs > SETTLED_MS) stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    // Missing: readManifest says so (and nothing is kept).
  }
  const known = parsed.get(manifestPath);
  if (stamp !== null && known?.stamp === stamp) return known.entry;
  const entry = readManifest(dir, manifestPath);
  if (stamp !== null) parsed.set(manifestPath, { stamp, entry });
  else parsed.delete(manifestPath);
  return entry;
}

function readManifest(dir: string, manifestPath: string): BundleEntry {
  const fallbackName = path.basename(dir);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return { name: fallbackName, dir, manifest: null, problems: [`manifest.json: ${reason}`] };
  }
  const check = validateManifest(json);
  const name = typeof (json as { name?: unknown }).name === 'string' ? (json as { name: string }).name : fallbackName;
  if (!check.ok) return { name, dir, manifest: null, problems: check.problems.map((p) => `manifest.json: ${p}`) };
  return { name, dir, manifest: check.manifest, problems: [] };
}

function bundleFolders(dir: string): string[] {
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return [dir];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => path.join(dir, name))
    .filter((full) => fs.existsSync(path.join(full, 'manifest.json')));
}
