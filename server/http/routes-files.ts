// GET /view and POST /upload/image: images only, in and out. Names are checked by FileAreas (400 unsafe,
// 403 escape, 404 missing), content is sniffed (never the extension), and nothing but image types is served.
import path from 'node:path';
import busboy from 'busboy';
import { Router, type Request } from 'express';
import { sniffImage, transcodeImage, type TranscodeFormat } from '../media/codec.js';
import { FileAreas } from '../store/file-areas.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';

const CONTENT_TYPES: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };
const EXTENSIONS: Record<string, string[]> = { png: ['.png'], jpeg: ['.jpg', '.jpeg'], webp: ['.webp'], gif: ['.gif'] };

function queryString(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new HttpError(400, 'invalid_query', `${name} must be given once, as text`);
  return value;
}

interface Upload {
  fields: Record<string, string>;
  file: { name: string; data: Buffer } | null;
}

/** Reads a multipart upload with hard limits; throws HttpError 400/413 for bad or oversized bodies. */
function readMultipart(req: Request, maxBytes: number): Promise<Upload> {
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

export function fileRoutes(ctx: ServerContext): Router {
  const router = Router();
  const { files, config } = ctx;

  router.get('/view', async (req, res) => {
    const filename = queryString(req.query.filename, 'filename', '');
    if (!filename) throw new HttpError(400, 'invalid_query', 'filename is required');
    const subfolder = queryString(req.query.subfolder, 'subfolder', '');
    const type = FileAreas.checkType(queryString(req.query.type, 'type', 'output'));
    const bytes = files.read(type, subfolder, filename);
    let info;
    try {
      info = await sniffImage(bytes, config.limits.maxPixels);
    } catch {
      throw new HttpError(415, 'not_an_image', `"${filename.slice(0, 100)}" is not an image this server serves`);
    }
    let body: Buffer = bytes;
    let format: string = info.format;
    const preview = queryString(req.query.preview, 'preview', '');
    const channel = queryString(req.query.channel, 'channel', 'rgba');
    if (!['rgba', 'rgb', 'a'].includes(channel)) throw new HttpError(400, 'invalid_query', 'channel must be rgba, rgb or a');
    if (preview || channel !== 'rgba') {
      const [wanted, quality] = preview.split(';');
      if (wanted && !['webp', 'jpeg', 'png'].includes(wanted)) throw new HttpError(400, 'invalid_query', 'preview must be webp, jpeg or png, optionally ";quality"');
      const q = quality === undefined ? 90 : Number(quality);
      if (!Number.isFinite(q)) throw new HttpError(400, 'invalid_query', 'preview quality must be a number');
      const out = await transcodeImage(bytes, {
        format: (wanted || undefined) as TranscodeFormat | undefined,
        quality: q,
        channel: channel as 'rgba' | 'rgb' | 'a',
        maxPixels: config.limits.maxPixels,
      });
      body = out.data;
      format = out.format;
    }
    const safeName = path.basename(filename).replace(/[^\w. ()-]/g, '_');
    res.set({
      'Content-Type': CONTENT_TYPES[format]!,
      'Content-Disposition': `inline; filename="${safeName}"`,
      'Cache-Control': type === 'temp' ? 'no-cache' : 'private, max-age=3600',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    });
    res.send(body);
  });

  router.post('/upload/image', async (req, res) => {
    const contentType = String(req.headers['content-type'] ?? '');
    if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
      throw new HttpError(400, 'invalid_multipart', 'upload the image as multipart/form-data with the file in field "image"');
    }
    const upload = await readMultipart(req, config.limits.uploadBytes);
    if (!upload.file) throw new HttpError(400, 'missing_file', 'the upload has no file in field "image"');
    if (upload.file.data.length === 0) throw new HttpError(400, 'invalid_image', 'the uploaded file is empty');
    const type = FileAreas.checkType(upload.fields.type || 'input');
    const subfolder = upload.fields.subfolder ?? '';
    const overwrite = upload.fields.overwrite === 'true' || upload.fields.overwrite === '1';
    const info = await sniffImage(upload.file.data, config.limits.maxPixels);
    if (info.width > config.limits.maxSide || info.height > config.limits.maxSide) {
      throw new HttpError(400, 'invalid_image', `the image is ${info.width}x${info.height}; the largest side this server accepts is ${config.limits.maxSide}`);
    }
    let name = upload.file.name;
    // The stored name must say what the bytes are, so no later reader trusts a misleading extension.
    if (!EXTENSIONS[info.format]!.includes(path.extname(name).toLowerCase())) name = `${name}${EXTENSIONS[info.format]![0]}`;
    const saved = files.saveUpload(upload.file.data, name, subfolder, type, overwrite);
    res.json({ name: saved.filename, subfolder: saved.subfolder, type: saved.type });
  });

  return router;
}
