// GET /view, POST /upload/image and POST /upload/mask: images only, in and out. Names are checked by FileAreas
// (400 unsafe, 403 escape, 404 missing), content is sniffed (never the extension), and nothing but image types
// is served.
import path from 'node:path';
import { Router } from 'express';
import { sniffImage, transcodeImage, type TranscodeFormat } from '../media/codec.js';
import { FileAreas } from '../store/file-areas.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { saveMaskedImage } from './mask-upload.js';
import { nameForFormat, overwriteField, readImageUpload } from './uploads.js';

const CONTENT_TYPES: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

function queryString(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new HttpError(400, 'invalid_query', `${name} must be given once, as text`);
  return value;
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
    const upload = await readImageUpload(req, config.limits);
    const type = FileAreas.checkType(upload.fields.type || 'input');
    const subfolder = upload.fields.subfolder ?? '';
    const name = nameForFormat(upload.file.name, upload.info.format);
    const saved = files.saveUpload(upload.file.data, name, subfolder, type, overwriteField(upload.fields));
    res.json({ name: saved.filename, subfolder: saved.subfolder, type: saved.type });
  });

  // ComfyUI's mask editor saves here: the uploaded alpha goes onto the original that `original_ref` names.
  router.post('/upload/mask', async (req, res) => {
    const upload = await readImageUpload(req, config.limits, 'mask');
    const saved = await saveMaskedImage(files, config.limits, upload);
    res.json({ name: saved.filename, subfolder: saved.subfolder, type: saved.type });
  });

  return router;
}
