// The input/, output/ and temp/ areas under the data dir. Every path a client names goes through `resolve`,
// which refuses absolute names, `..` (raw or percent-encoded), unknown area types and symlink escapes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const AREA_TYPES = ['input', 'output', 'temp'] as const;
export type AreaType = (typeof AREA_TYPES)[number];

/** A refused or missing file reference; `status` is the HTTP status the API answers with. */
export class FileAreaError extends Error {
  override name = 'FileAreaError';
  constructor(
    message: string,
    readonly status: 400 | 403 | 404,
  ) {
    super(message);
  }
}

/** Where a file lives, as ComfyUI names it. */
export interface FileRef {
  filename: string;
  subfolder: string;
  type: AreaType;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif']);

/** Checks one client-supplied path piece (a filename or subfolder); throws FileAreaError 400 when unsafe. */
function checkPiece(label: string, value: string, allowEmpty: boolean): string {
  if (typeof value !== 'string') throw new FileAreaError(`${label} must be a string`, 400);
  if (value === '' && allowEmpty) return '';
  if (value === '') throw new FileAreaError(`${label} is empty`, 400);
  if (value.length > 255) throw new FileAreaError(`${label} is longer than 255 characters`, 400);
  let decoded = value;
  // Decode repeatedly so %2e%2e and %252e%252e are seen as the `..` a later layer might turn them into.
  for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(decoded); i++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      break;
    }
  }
  for (const candidate of [value, decoded]) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(candidate)) throw new FileAreaError(`${label} contains control characters`, 400);
    if (candidate.includes('\\')) throw new FileAreaError(`${label} must not contain backslashes`, 400);
    if (candidate.startsWith('/') || /^[a-z]:/i.test(candidate)) throw new FileAreaError(`${label} must be relative, got an absolute path`, 400);
    if (candidate.split('/').some((part) => part === '..')) throw new FileAreaError(`${label} must not contain ".."`, 400);
  }
  return value;
}

/** Turns an uploaded file's name into a safe plain name (no directories, no odd characters). */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  let clean = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/^\.+/, '').trim();
  if (clean.length > 200) {
    const ext = path.extname(clean).slice(0, 10);
    clean = clean.slice(0, 200 - ext.length) + ext;
  }
  return clean || 'upload';
}

/** The three file areas of a data dir, with safe resolution, listings, hashes and output counters. */
export class FileAreas {
  readonly roots: Record<AreaType, string>;
  private realRoots: Record<AreaType, string>;
  private readonly hashMemo = new Map<string, { mtimeMs: number; size: number; hash: string }>();
  /** Per output folder: highest number handed out per prefix and extension. */
  private readonly counters = new Map<string, Map<string, number>>();
  /** Decompression-bomb guard for images read from the areas, pixels. */
  readonly maxPixels: number;

  /** Creates (if needed) input/, output/ and temp/ under `dataDir`; clears temp/ (previews of past runs). */
  constructor(dataDir: string, options: { clearTemp?: boolean; maxPixels?: number } = {}) {
    this.maxPixels = options.maxPixels ?? 64 * 1024 * 1024;
    const root = path.resolve(dataDir);
    this.roots = { input: path.join(root, 'input'), output: path.join(root, 'output'), temp: path.join(root, 'temp') };
    if (options.clearTemp !== false) fs.rmSync(this.roots.temp, { recursive: true, force: true });
    for (const dir of Object.values(this.roots)) fs.mkdirSync(dir, { recursive: true });
    this.realRoots = {
      input: fs.realpathSync(this.roots.input),
      output: fs.realpathSync(this.roots.output),
      temp: fs.realpathSync(this.roots.temp),
    };
  }

  /** Checks an area type string; throws FileAreaError 400 for anything but input, output, temp. */
  static checkType(type: unknown): AreaType {
    if (typeof type === 'string' && (AREA_TYPES as readonly string[]).includes(type)) return type as AreaType;
    throw new FileAreaError(`unknown file area type "${String(type)}" (use input, output or temp)`, 400);
  }

  /**
   * The absolute path of a file reference inside its area, checked lexically and (when it exists) by real path.
   * Throws FileAreaError: 400 for unsafe names, 403 for an escape (a symlink out of the area).
   */
  resolve(type: AreaType, subfolder: string, filename: string): string {
    checkPiece('filename', filename, false);
    checkPiece('subfolder', subfolder, true);
    const root = this.roots[type];
    const full = path.resolve(root, subfolder, filename);
    if (!full.startsWith(root + path.sep)) throw new FileAreaError('the path leaves its file area', 403);
    let real: string;
    try {
      real = fs.realpathSync(full);
    } catch {
      // Not there yet: check the nearest existing parent instead, so a symlinked subfolder cannot be written through.
      let parent = path.dirname(full);
      while (!fs.existsSync(parent)) parent = path.dirname(parent);
      const realParent = fs.realpathSync(parent);
      if (realParent !== this.realRoots[type] && !realParent.startsWith(this.realRoots[type] + path.sep)) {
        throw new FileAreaError('the path leaves its file area through a symlink', 403);
      }
      return full;
    }
    if (!real.startsWith(this.realRoots[type] + path.sep)) throw new FileAreaError('the path leaves its file area through a symlink', 403);
    return real;
  }

  /** Like resolve, but the file must exist and be a regular file; throws FileAreaError 404 otherwise. */
  resolveExisting(type: AreaType, subfolder: string, filename: string): string {
    const full = this.resolve(type, subfolder, filename);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch {
      throw new FileAreaError(`no file "${path.posix.join(subfolder, filename)}" in ${type}`, 404);
    }
    if (!stat.isFile()) throw new FileAreaError(`"${path.posix.join(subfolder, filename)}" in ${type} is not a file`, 404);
    return full;
  }

  /** Image files of an area as "sub/name.png" paths (Load Image's choices), sorted. */
  listImages(type: AreaType = 'input'): string[] {
    const out: string[] = [];
    const walk = (dir: string, prefix: string, depth: number): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory() && depth < 4) walk(path.join(dir, entry.name), rel, depth + 1);
        else if (entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(rel);
      }
    };
    walk(this.roots[type], '', 0);
    return out.sort();
  }

  /** Splits a Load Image choice "sub/name.png" into a subfolder and a filename. */
  static splitName(name: string): { subfolder: string; filename: string } {
    const slash = name.lastIndexOf('/');
    return slash < 0 ? { subfolder: '', filename: name } : { subfolder: name.slice(0, slash), filename: name.slice(slash + 1) };
  }

  /** SHA-256 of a file, memoised by size and mtime (Load Image's fingerprint). Throws FileAreaError. */
  hashFile(type: AreaType, subfolder: string, filename: string): string {
    const full = this.resolveExisting(type, subfolder, filename);
    const stat = fs.statSync(full);
    const memo = this.hashMemo.get(full);
    if (memo && memo.mtimeMs === stat.mtimeMs && memo.size === stat.size) return memo.hash;
    const hash = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    this.hashMemo.set(full, { mtimeMs: stat.mtimeMs, size: stat.size, hash });
    return hash;
  }

  /** Reads a file of an area; throws FileAreaError. */
  read(type: AreaType, subfolder: string, filename: string): Buffer {
    return fs.readFileSync(this.resolveExisting(type, subfolder, filename));
  }

  /**
   * Stores uploaded bytes under a sanitised name. Same name with the same bytes reuses the file; different bytes
   * get "name (1).ext", "name (2).ext", ... unless `overwrite`. Throws FileAreaError for an unsafe subfolder.
   */
  saveUpload(bytes: Uint8Array, name: string, subfolder: string, type: AreaType, overwrite: boolean): FileRef {
    let filename = sanitizeFilename(name);
    checkPiece('subfolder', subfolder, true);
    const ext = path.extname(filename);
    const stem = filename.slice(0, filename.length - ext.length);
    for (let n = 1; ; n++) {
      const full = this.resolve(type, subfolder, filename);
      if (overwrite || !fs.existsSync(full)) {
        fs.mkdirSync(path.dirname(full), { recursive: true });
        // Write then rename so a reader never sees half a file.
        const tmp = `${full}.${process.pid}.${Date.now()}.part`;
        fs.writeFileSync(tmp, bytes);
        fs.renameSync(tmp, full);
        // Same size and mtime (a fast overwrite) must not keep the old content hash.
        this.hashMemo.delete(full);
        this.hashMemo.delete(fs.realpathSync(full));
        return { filename, subfolder, type };
      }
      const existing = fs.readFileSync(full);
      if (existing.equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) return { filename, subfolder, type };
      if (n > 9999) throw new FileAreaError(`too many uploads named "${name}"`, 400);
      filename = `${stem} (${n})${ext}`;
    }
  }

  /**
   * Reserves the next output name for a prefix, ComfyUI style: "sub/name" -> sub/name_00001_.png, counting up
   * from the highest number already on disk. Each folder is scanned once; after that this process tracks the
   * numbers it hands out (writers open with 'wx' and call again on EEXIST, in case another program wrote there).
   * Throws FileAreaError for an unsafe prefix.
   */
  nextOutput(type: AreaType, filenamePrefix: string, ext = 'png'): FileRef & { path: string } {
    const { subfolder, filename: prefix } = FileAreas.splitName(filenamePrefix.trim() || 'Kontinuous');
    checkPiece('filename_prefix', prefix, false);
    if (!/^[a-z0-9]{1,8}$/i.test(ext)) throw new FileAreaError(`output extension "${ext}" is not allowed`, 400);
    const dir = path.dirname(this.resolve(type, subfolder, `${prefix}_00001_.${ext}`));
    let counters = this.counters.get(dir);
    if (!counters) {
      fs.mkdirSync(dir, { recursive: true });
      counters = new Map();
      for (const name of fs.readdirSync(dir)) {
        const m = /^(.*)_(\d+)_\.([a-z0-9]+)$/i.exec(name);
        if (!m) continue;
        const key = `${m[1]}\u0000${m[3]!.toLowerCase()}`;
        counters.set(key, Math.max(counters.get(key) ?? 0, Number(m[2])));
      }
      this.counters.set(dir, counters);
    }
    const key = `${prefix}\u0000${ext.toLowerCase()}`;
    const counter = (counters.get(key) ?? 0) + 1;
    counters.set(key, counter);
    const filename = `${prefix}_${String(counter).padStart(5, '0')}_.${ext}`;
    return { filename, subfolder, type, path: path.join(dir, filename) };
  }
}
