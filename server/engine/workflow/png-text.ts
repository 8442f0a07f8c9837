// Reads tEXt (and uncompressed iTXt) chunks from a PNG, to restore the workflow a saved image carries. Pure (no
// Node APIs) so the editor, the CLI and the server read embedded workflows the same way. Small on purpose: the signature, then length-type-data-crc records until IEND. tEXt is Latin-1 by the PNG spec, but
// some tools write UTF-8 there, so valid UTF-8 is read as such; iTXt text is always UTF-8.

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Returns the text chunks of a PNG by keyword; throws if the bytes are not a PNG. */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const out: Record<string, string> = {};
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = latin1.decode(bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, Math.min(bytes.length, offset + 8 + length));
    if (type === 'tEXt') {
      const zero = data.indexOf(0);
      if (zero > 0) {
        const body = data.subarray(zero + 1);
        let value: string;
        try {
          value = strictUtf8.decode(body);
        } catch {
          value = latin1.decode(body);
        }
        out[latin1.decode(data.subarray(0, zero))] = value;
      }
    } else if (type === 'iTXt') {
      // keyword \0 compression-flag compression-method language \0 translated \0 text
      const zero = data.indexOf(0);
      if (zero > 0 && data[zero + 1] === 0) {
        const lang = data.indexOf(0, zero + 3);
        const translated = lang >= 0 ? data.indexOf(0, lang + 1) : -1;
        if (translated >= 0) out[latin1.decode(data.subarray(0, zero))] = utf8.decode(data.subarray(translated + 1));
      }
    } else if (type === 'IEND') break;
    offset += 12 + length;
  }
  return out;
}
