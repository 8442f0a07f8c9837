// Reading uploaded images, shared by POST /upload/image and /upload/mask: a multipart body with hard limits, content
// sniffed by magic bytes and libvips' header (never the extension), the side limit, and a stored name whose
// extension says what the bytes are.
import path from 'node:path';
import busboy from 'busboy';
import type { Request } from 'express';
import type { ServerLimits } from '../config.js';
import { sniffImage, type AcceptedFormat, type ImageInfo } from '../media/codec.js';
import { HttpError } from './errors.js';

const EXTENSIONS: Record<AcceptedFormat, string[]> = { png: ['.png'], jpeg: ['.jpg', '.jpeg'], webp: ['.webp'], gif: ['.gif'] };

/** The text fields and the one file (form field "image") of a multipart upload. */
export interface Upload {
  fields: Record<string, string>;
  file: { name: string; data: Buffer } | null;
}

/** Reads a multipart upload with hard limits; throws HttpError 400/413 for bad or oversized bodies. */
export function readMultipart(req: Request, maxBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 4096, parts: 25 } });
    } catch {
      reject(new HttpError(400, 'invalid_multipart', 'the upload must be multipart/form-data with a boundary'));
      return;
    }
    const upload: Upload = { fields: {}, file: null };
    let failure: HttpError | null = null;
    const fail = (error: HttpError): void => {
      failure ??= error;
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new HttpError(400, 'invalid_multipart', `the form field "${name.slice(0, 50)}" is too long`));
      upload.fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'image' || upload.file) {
        stream.resume();
        if (name !== 'image') fail(new HttpError(400, 'invalid_multipart', `unexpected file field "${name.slice(0, 50)}" (send the file as "image")`));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new HttpError(413, 'file_too_large', `the file is larger than the limit of ${maxBytes} bytes`)));
      stream.on('close', () => {
        upload.file = { name: info.filename ?? 'upload', data: Buffer.concat(chunks) };
      });
    });
    for (const event of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(event, () => fail(new HttpError(400, 'invalid_multipart', `the upload has too many parts (${event})`)));
    }
    parser.on('error', () => reject(new HttpError(400, 'invalid_multipart', 'the multipart body is malformed')));
    parser.on('close', () => (failure ? reject(failure) : resolve(upload)));
    req.on('error', () => reject(new HttpError(400, 'request_aborted', 'the upload was aborted')));
    req.pipe(parser);
  });
}

/** An upload whose file is a sniffed, size-checked image. */
export interface ImageUpload {
  fields: Record<string, string>;
  file: { name: string; data: Buffer };
  info: ImageInfo;
}

/**
 * Reads a multipart upload whose field "image" must hold an accepted image within the limits. Throws HttpError
 * (400, 413) naming what is wrong, or ImageRejectedError (400) for bytes that are not an accepted image.
 */
export async function readImageUpload(req: Request, limits: ServerLimits, what = 'image'): Promise<ImageUpload> {
  const contentType = String(req.headers['content-type'] ?? '');
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new HttpError(400, 'invalid_multipart', `upload the ${what} as multipart/form-data with the file in field "image"`);
  }
  const { fields, file } = await readMultipart(req, limits.uploadBytes);
  if (!file) throw new HttpError(400, 'missing_file', 'the upload has no file in field "image"');
  if (file.data.length === 0) throw new HttpError(400, 'invalid_image', 'the uploaded file is empty');
  const info = await sniffImage(file.data, limits.maxPixels);
  if (info.width > limits.maxSide || info.height > limits.maxSide) {
    throw new HttpError(400, 'invalid_image', `the image is ${info.width}x${info.height}; the largest side this server accepts is ${limits.maxSide}`);
  }
  return { fields, file, info };
}

/** The upload's name with the extension of `format` appended unless it already has one that fits. */
export function nameForFormat(name: string, format: AcceptedFormat): string {
  // The stored name must say what the bytes are, so no later reader trusts a misleading extension.
  return EXTENSIONS[format].includes(path.extname(name).toLowerCase()) ? name : `${name}${EXTENSIONS[format][0]}`;
}

/** The `overwrite` form field as ComfyUI reads it: "true" or "1". */
export function overwriteField(fields: Record<string, string>): boolean {
  return fields.overwrite === 'true' || fields.overwrite === '1';
}
