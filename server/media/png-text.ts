// PNG tEXt chunks (the `prompt` and `workflow` JSON that ComfyUI embeds in saved images). A PNG is a signature
// followed by length/type/data/CRC chunks; text goes before IEND so every reader sees it.
import { crc32 } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk of a PNG file. */
export interface PngChunk {
  name: string;
  data: Buffer;
}

/** Splits a PNG into its chunks; throws when the bytes are not a well-formed PNG. */
export function readPngChunks(png: Uint8Array): PngChunk[] {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file (bad signature)');
  const chunks: PngChunk[] = [];
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const name = bytes.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > bytes.length) throw new Error(`PNG chunk ${name} at byte ${offset} runs past the end of the file`);
    chunks.push({ name, data: bytes.subarray(offset + 8, offset + 8 + length) });
    offset = end;
    if (name === 'IEND') break;
  }
  return chunks;
}

/** Joins chunks back into a PNG file. */
export function writePngChunks(chunks: PngChunk[]): Buffer {
  const parts: Buffer[] = [SIGNATURE];
  for (const chunk of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(chunk.data.length, 0);
    head.write(chunk.name, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(chunk.data, crc32(head.subarray(4, 8))) >>> 0, 0);
    parts.push(head, chunk.data, crc);
  }
  return Buffer.concat(parts);
}

/**
 * Escapes every character outside printable ASCII as \uXXXX so any JSON fits a Latin-1 tEXt chunk and still
 * parses to the same value.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Inserts tEXt chunks before IEND; throws on a keyword or text that tEXt cannot hold. */
export function addPngText(png: Uint8Array, text: Record<string, string>): Buffer {
  const chunks = readPngChunks(png);
  const extra: PngChunk[] = [];
  for (const [keyword, value] of Object.entries(text)) {
    if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`PNG text keyword "${keyword}" must be 1-79 printable ASCII characters`);
    if (/[^\x01-\xff]/.test(value)) throw new Error(`PNG text "${keyword}" holds characters outside Latin-1; encode it with asciiJson`);
    extra.push({ name: 'tEXt', data: Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')]) });
  }
  const end = chunks.findIndex((c) => c.name === 'IEND');
  chunks.splice(end < 0 ? chunks.length : end, 0, ...extra);
  return writePngChunks(chunks);
}

/** Chunk types that hold text: Latin-1, compressed and international. */
const TEXT_CHUNK_TYPES = new Set(['tEXt', 'zTXt', 'iTXt']);

/**
 * Copies the text chunks of `source` (an embedded workflow and prompt, say) into `target` before its IEND, so a
 * re-encoded image keeps them; a source that is not a well-formed PNG has none. Throws when `target` is not a PNG.
 */
export function copyPngText(source: Uint8Array, target: Uint8Array): Buffer {
  let text: PngChunk[];
  try {
    text = readPngChunks(source).filter((chunk) => TEXT_CHUNK_TYPES.has(chunk.name));
  } catch {
    text = [];
  }
  const chunks = readPngChunks(target);
  if (!text.length) return Buffer.from(target.buffer, target.byteOffset, target.byteLength);
  const end = chunks.findIndex((c) => c.name === 'IEND');
  chunks.splice(end < 0 ? chunks.length : end, 0, ...text);
  return writePngChunks(chunks);
}
