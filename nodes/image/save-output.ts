// Shared by Save Image and Preview Image: writes every item of a batch as a PNG into a file area.
import { writeFile } from 'node:fs/promises';
import type { NodeContext, UiOutput } from '../../server/engine/node-definition.js';
import { encodePng } from '../../server/media/codec.js';
import { asciiJson } from '../../server/media/png-text.js';
import type { AreaType, FileRef } from '../../server/store/file-areas.js';
import type { ImageBatch } from '../sockets.js';
import '../services.js';

/** The PNG text chunks ComfyUI writes: the API prompt, then every extra_pnginfo key (the UI workflow). */
export function pngTextFor(ctx: NodeContext): Record<string, string> {
  const text: Record<string, string> = { prompt: asciiJson(ctx.prompt) };
  const extra = ctx.extraData.extra_pnginfo;
  if (extra && typeof extra === 'object') {
    for (const [key, value] of Object.entries(extra as Record<string, unknown>)) {
      if (/^[\x20-\x7e]{1,79}$/.test(key)) text[key] = asciiJson(value);
    }
  }
  return text;
}

/** Writes bytes under the next free counter name; 'wx' never overwrites a file another program put there. */
async function writeNew(ctx: NodeContext, type: AreaType, prefix: string, bytes: Buffer): Promise<FileRef> {
  for (let attempt = 0; ; attempt++) {
    const target = ctx.services.files.nextOutput(type, prefix, 'png');
    try {
      await writeFile(target.path, bytes, { flag: 'wx' });
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 1000) throw error;
    }
  }
}

/** PNGs encoded at once ahead of the writes: sharp encodes on the thread pool, so a sweep's images overlap. */
const ENCODE_AHEAD = 4;

/** Encodes and writes each batch item; returns the UI listing. Throws on a bad prefix or a write failure. */
export async function saveBatch(ctx: NodeContext, images: ImageBatch, type: AreaType, prefix: string, text: Record<string, string>): Promise<UiOutput> {
  if (!images || images.kind !== 'IMAGE') throw new TypeError('images must be an IMAGE batch');
  const listing: NonNullable<UiOutput['images']> = [];
  const encodings: Array<Promise<Buffer>> = [];
  const encode = (i: number): void => {
    if (i >= images.count) return;
    encodings[i] = encodePng(images, i, text);
    // Awaited in order below; if an earlier item fails first, this one's failure must not go unhandled.
    encodings[i]!.catch(() => {});
  };
  for (let i = 0; i < ENCODE_AHEAD; i++) encode(i);
  for (let i = 0; i < images.count; i++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const png = await encodings[i]!;
    encode(i + ENCODE_AHEAD);
    // Written in batch order, so the counter names follow the batch.
    const target = await writeNew(ctx, type, prefix, png);
    listing.push({ filename: target.filename, subfolder: target.subfolder, type });
  }
  return { images: listing };
}
