// The shipped workflows load workflows/chelsea.png (and its masked copy) through Load Image, which reads the data dir's input/ area:
// the server and the CLI copy the sample there at start so every template runs out of the box.
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { FileAreas } from '../store/file-areas.js';
import { SAMPLE_IMAGE, SAMPLE_MASKED_IMAGE, WORKFLOWS_DIR } from './shipped-workflows.js';

/** Sample images shipped in workflows/ that templates reference by name. */
export const SAMPLE_INPUTS: readonly string[] = [SAMPLE_IMAGE, SAMPLE_MASKED_IMAGE];

/**
 * Copies each sample image into input/ unless a file of that name is already there (a user's own file wins).
 * Returns the names it copied. Throws when the repository's sample file is missing or input/ is not writable.
 */
export function seedSampleInputs(files: FileAreas): string[] {
  const copied: string[] = [];
  for (const name of SAMPLE_INPUTS) {
    const target = files.resolve('input', '', name);
    if (existsSync(target)) continue;
    copyFileSync(path.join(WORKFLOWS_DIR, name), target);
    copied.push(name);
  }
  return copied;
}
