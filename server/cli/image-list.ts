// `run --image` takes files and folders: a folder stands for the pictures directly inside it, so one command edits
// a whole shoot with the same workflow (the model and the instruction's encoding load once, from the cache).
import fs from 'node:fs';
import path from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

/** Extensions of the formats Load Image accepts (server/media/codec.ts ACCEPTED_FORMATS). */
const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif'];

/**
 * The picture files `paths` name, in order: a file as given, a folder as its image files sorted by name (not its
 * subfolders). Throws CliError (exit 2) for a path that does not exist or a folder without a picture.
 */
export function expandImagePaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const given of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch (error) {
      throw new CliError(`--image: cannot read ${given}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`, EXIT.invalidInput);
    }
    if (!stat.isDirectory()) {
      files.push(given);
      continue;
    }
    const inside = fs.readdirSync(given, { withFileTypes: true })
      .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase()))
      .map((entry) => path.join(given, entry.name))
      .sort();
    if (inside.length === 0) throw new CliError(`--image: the folder ${given} holds no ${IMAGE_EXTENSIONS.join(', ')} files`, EXIT.invalidInput);
    files.push(...inside);
  }
  return files;
}

/** One output folder name per picture: its name without the extension, with -2, -3, ... when that is taken. */
export function outputFolderNames(files: string[]): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    const stem = path.basename(file, path.extname(file)) || 'image';
    let name = stem;
    for (let n = 2; used.has(name); n++) name = `${stem}-${n}`;
    used.add(name);
    return name;
  });
}
