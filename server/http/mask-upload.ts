// POST /upload/mask, ComfyUI's mask editor protocol: the uploaded image's alpha channel (0 where painted) replaces
// the alpha of an original file named by `original_ref`, and the result is stored as a new PNG. Load Image then
// reads the painted area back as its MASK (transparent = 1).
import path from 'node:path';
import { decodeRgba, encodeRgbaPng, ImageRejectedError, type RgbaImage } from '../media/codec.js';
import { copyPngText } from '../media/png-text.js';
import { AREA_TYPES, FileAreaError, FileAreas, type AreaType, type FileRef } from '../store/file-areas.js';
import type { ServerLimits } from '../config.js';
import { HttpError } from './errors.js';
import { nameForFormat, overwriteField, type ImageUpload } from './uploads.js';

/**
 * Parses the `original_ref` form field: JSON {filename, subfolder?, type?}, type "output" when absent (ComfyUI's
 * default). Throws HttpError 400 naming what is wrong.
 */
export function parseOriginalRef(field: string | undefined): FileRef {
  if (field === undefined || field === '') {
    throw new HttpError(400, 'missing_original_ref', 'the form field "original_ref" is required: JSON {"filename", "subfolder", "type"} of the image the mask belongs to');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(field);
  } catch {
    throw new HttpError(400, 'invalid_original_ref', 'original_ref is not valid JSON; send {"filename", "subfolder", "type"}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpError(400, 'invalid_original_ref', 'original_ref must be a JSON object {"filename", "subfolder", "type"}');
  }
  const { filename, subfolder = '', type = 'output' } = parsed as Record<string, unknown>;
  if (typeof filename !== 'string' || filename === '') throw new HttpError(400, 'invalid_original_ref', 'original_ref.filename must be a non-empty string');
  if (typeof subfolder !== 'string') throw new HttpError(400, 'invalid_original_ref', 'original_ref.subfolder must be a string');
  if (typeof type !== 'string' || !(AREA_TYPES as readonly string[]).includes(type)) {
    throw new HttpError(400, 'invalid_original_ref', `original_ref.type "${String(type).slice(0, 50)}" is not input, output or temp`);
  }
  return { filename, subfolder, type: type as AreaType };
}

/** Reads and decodes the original; FileArea refusals keep their status (400 unsafe, 403 escape, 404 missing). */
async function readOriginal(files: FileAreas, ref: FileRef, maxPixels: number): Promise<{ bytes: Buffer; image: RgbaImage }> {
  const label = path.posix.join(ref.subfolder, ref.filename).slice(0, 200);
  let bytes: Buffer;
  try {
    bytes = files.read(ref.type, ref.subfolder, ref.filename);
  } catch (error) {
    if (error instanceof FileAreaError) throw new HttpError(error.status, 'bad_file_reference', `original_ref: ${error.message}`);
    throw error;
  }
  try {
    return { bytes, image: await decodeRgba(bytes, maxPixels) };
  } catch (error) {
    if (error instanceof ImageRejectedError) throw new HttpError(400, 'invalid_image', `the original "${label}" in ${ref.type} cannot be used: ${error.message}`);
    throw error;
  }
}

/**
 * Replaces the original's alpha with the mask's, in place (at the 64 MP limit a copy would cost another 256 MB), and
 * returns it. Throws HttpError 400 when the sizes differ.
 */
export function applyMaskAlpha(original: RgbaImage, mask: RgbaImage): RgbaImage {
  if (original.width !== mask.width || original.height !== mask.height) {
    throw new HttpError(
      400,
      'mask_size_mismatch',
      `the mask is ${mask.width}x${mask.height} but the original image is ${original.width}x${original.height}; they must be the same size`,
    );
  }
  const { data } = original;
  for (let i = 3; i < data.length; i += 4) data[i] = mask.data[i]!;
  return original;
}

/**
 * Applies an uploaded mask to the original its `original_ref` names and stores the result as a PNG under the
 * upload's `type` (default input) and `subfolder`, with the upload's name (collisions as /upload/image). The
 * original's PNG text chunks (an embedded workflow) are kept. Throws HttpError, or FileAreaError for a bad target
 * (both answered as JSON 4xx).
 */
export async function saveMaskedImage(files: FileAreas, limits: ServerLimits, upload: ImageUpload): Promise<FileRef> {
  const ref = parseOriginalRef(upload.fields.original_ref);
  const type = FileAreas.checkType(upload.fields.type || 'input');
  const subfolder = upload.fields.subfolder ?? '';
  const original = await readOriginal(files, ref, limits.maxPixels);
  const mask = await decodeRgba(upload.file.data, limits.maxPixels);
  const png = copyPngText(original.bytes, await encodeRgbaPng(applyMaskAlpha(original.image, mask)));
  // The stored file is a PNG whatever the mask was sent as; the name must say so.
  return files.saveUpload(png, nameForFormat(upload.file.name, 'png'), subfolder, type, overwriteField(upload.fields));
}
