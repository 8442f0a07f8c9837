// The paper's strip of edits: the source, then one tile per strength, each labelled. Composed in plain
// TypeScript on the float pixels (only a size mismatch goes through the codec's resize), and labels are drawn
// with a built-in 5x7 bitmap font so the strip looks the same on every machine, with or without system fonts.
import { makeImageBatch, type ImageBatch } from '../../nodes/sockets.js';
import { resizeImage } from './codec.js';

// 5x7 glyphs, one string of 5 characters per row ('#' = ink). Digits, lower-case letters (upper case draws as
// lower case) and the punctuation of labels and instructions; other characters draw as a blank cell.
const GLYPHS: Record<string, string[]> = {
  '0': [' ### ', '#   #', '#  ##', '# # #', '##  #', '#   #', ' ### '],
  '1': ['  #  ', ' ##  ', '  #  ', '  #  ', '  #  ', '  #  ', ' ### '],
  '2': [' ### ', '#   #', '    #', '   # ', '  #  ', ' #   ', '#####'],
  '3': ['#####', '   # ', '  #  ', '   # ', '    #', '#   #', ' ### '],
  '4': ['   # ', '  ## ', ' # # ', '#  # ', '#####', '   # ', '   # '],
  '5': ['#####', '#    ', '#### ', '    #', '    #', '#   #', ' ### '],
  '6': ['  ## ', ' #   ', '#    ', '#### ', '#   #', '#   #', ' ### '],
  '7': ['#####', '    #', '   # ', '  #  ', ' #   ', ' #   ', ' #   '],
  '8': [' ### ', '#   #', '#   #', ' ### ', '#   #', '#   #', ' ### '],
  '9': [' ### ', '#   #', '#   #', ' ####', '    #', '   # ', ' ##  '],
  '.': ['     ', '     ', '     ', '     ', '     ', ' ##  ', ' ##  '],
  '=': ['     ', '     ', '#####', '     ', '#####', '     ', '     '],
  '-': ['     ', '     ', '     ', '#####', '     ', '     ', '     '],
  '>': ['#    ', ' #   ', '  #  ', '   # ', '  #  ', ' #   ', '#    '],
  s: ['     ', '     ', ' ####', '#    ', ' ### ', '    #', '#### '],
  o: ['     ', '     ', ' ### ', '#   #', '#   #', '#   #', ' ### '],
  u: ['     ', '     ', '#   #', '#   #', '#   #', '#  ##', ' ## #'],
  r: ['     ', '     ', '# ## ', '##  #', '#    ', '#    ', '#    '],
  c: ['     ', '     ', ' ### ', '#    ', '#    ', '#   #', ' ### '],
  e: ['     ', '     ', ' ### ', '#   #', '#####', '#    ', ' ### '],
  t: [' #   ', ' #   ', '#### ', ' #   ', ' #   ', ' #  #', '  ## '],
  n: ['     ', '     ', '# ## ', '##  #', '#   #', '#   #', '#   #'],
  g: ['     ', '     ', ' ####', '#   #', ' ####', '    #', ' ### '],
  h: ['#    ', '#    ', '# ## ', '##  #', '#   #', '#   #', '#   #'],
  a: ['     ', '     ', ' ### ', '    #', ' ####', '#   #', ' ####'],
  b: ['#    ', '#    ', '# ## ', '##  #', '#   #', '#   #', '#### '],
  d: ['    #', '    #', ' ## #', '#  ##', '#   #', '#   #', ' ####'],
  f: ['  ## ', ' #  #', ' #   ', '###  ', ' #   ', ' #   ', ' #   '],
  i: ['  #  ', '     ', ' ##  ', '  #  ', '  #  ', '  #  ', ' ### '],
  j: ['   # ', '     ', '  ## ', '   # ', '   # ', '#  # ', ' ##  '],
  k: ['#    ', '#    ', '#  # ', '# #  ', '##   ', '# #  ', '#  # '],
  l: [' ##  ', '  #  ', '  #  ', '  #  ', '  #  ', '  #  ', ' ### '],
  m: ['     ', '     ', '## # ', '# # #', '# # #', '#   #', '#   #'],
  p: ['     ', '     ', '#### ', '#   #', '#### ', '#    ', '#    '],
  q: ['     ', '     ', ' ## #', '#  ##', ' ####', '    #', '    #'],
  v: ['     ', '     ', '#   #', '#   #', '#   #', ' # # ', '  #  '],
  w: ['     ', '     ', '#   #', '#   #', '# # #', '# # #', ' # # '],
  x: ['     ', '     ', '#   #', ' # # ', '  #  ', ' # # ', '#   #'],
  y: ['     ', '     ', '#   #', '#   #', ' ####', '    #', ' ### '],
  z: ['     ', '     ', '#####', '   # ', '  #  ', ' #   ', '#####'],
  ',': ['     ', '     ', '     ', '     ', ' ##  ', '  #  ', ' #   '],
  "'": ['  #  ', '  #  ', ' #   ', '     ', '     ', '     ', '     '],
  '"': [' # # ', ' # # ', '     ', '     ', '     ', '     ', '     '],
  ':': ['     ', ' ##  ', ' ##  ', '     ', ' ##  ', ' ##  ', '     '],
  '(': ['   # ', '  #  ', ' #   ', ' #   ', ' #   ', '  #  ', '   # '],
  ')': [' #   ', '  #  ', '   # ', '   # ', '   # ', '  #  ', ' #   '],
  '/': ['    #', '    #', '   # ', '  #  ', ' #   ', '#    ', '#    '],
  '!': ['  #  ', '  #  ', '  #  ', '  #  ', '  #  ', '     ', '  #  '],
  '?': [' ### ', '#   #', '    #', '   # ', '  #  ', '     ', '  #  '],
  '+': ['     ', '  #  ', '  #  ', '#####', '  #  ', '  #  ', '     '],
};
const GLYPH_W = 5;
const GLYPH_H = 7;

export interface GridOptions {
  /** Draw a label under each tile (default true). */
  labels?: boolean;
  /** Pixels between tiles and around the strip (default 4). */
  gap?: number;
  /** Tiles per row; 0 puts everything in one row, as the paper's strips do (default 0). */
  columns?: number;
  /** Label of the source tile (default "source"). */
  sourceLabel?: string;
}

interface Tile {
  image: ImageBatch;
  index: number;
  label: string;
}

function tileLabel(image: ImageBatch, index: number): string {
  const meta = image.meta[index] ?? {};
  if (meta.label) return meta.label;
  if (typeof meta.strength === 'number') return meta.strength.toFixed(2);
  return String(index + 1);
}

/** Text height in pixels for a tile of the given width: readable, never dominating small tiles. */
function labelScale(tileWidth: number): number {
  return Math.max(1, Math.min(4, Math.floor(tileWidth / 64)));
}

/** The text cut to fit maxWidth pixels at this scale, ending in ".." when cut. */
export function fitText(text: string, scale: number, maxWidth: number): string {
  const fits = Math.floor((maxWidth + scale) / ((GLYPH_W + 1) * scale));
  return text.length <= fits ? text : `${text.slice(0, Math.max(0, fits - 2))}..`;
}

function drawText(pixels: Float32Array, stride: number, x0: number, y0: number, label: string, scale: number, maxWidth: number): void {
  const text = fitText(label, scale, maxWidth);
  const advance = (GLYPH_W + 1) * scale;
  const textWidth = text.length * advance - scale;
  let x = x0 + Math.max(0, Math.floor((maxWidth - textWidth) / 2));
  for (const ch of text) {
    const glyph = GLYPHS[ch] ?? GLYPHS[ch.toLowerCase()];
    if (glyph && x + GLYPH_W * scale <= x0 + maxWidth) {
      for (let gy = 0; gy < GLYPH_H; gy++) {
        for (let gx = 0; gx < GLYPH_W; gx++) {
          if (glyph[gy]![gx] !== '#') continue;
          for (let dy = 0; dy < scale; dy++) {
            for (let dx = 0; dx < scale; dx++) {
              const p = ((y0 + gy * scale + dy) * stride + x + gx * scale + dx) * 3;
              pixels[p] = pixels[p + 1] = pixels[p + 2] = 0.1;
            }
          }
        }
      }
    }
    x += advance;
  }
}

/**
 * Lays out the source (when given) and every item of `images` as one labelled strip, each item labelled with its
 * strength (ItemMeta.strength, or ItemMeta.label). The source is resized to the edits' size when they differ.
 * Throws Error when `images` is empty.
 */
export async function composeStrengthGrid(source: ImageBatch | null, images: ImageBatch, options: GridOptions = {}): Promise<ImageBatch> {
  if (images.count < 1) throw new Error('the strength grid needs at least one image');
  const gap = Math.max(0, Math.floor(options.gap ?? 4));
  const labels = options.labels ?? true;
  const tileW = images.width;
  const tileH = images.height;
  const tiles: Tile[] = [];
  if (source) {
    const fitted = source.width === tileW && source.height === tileH ? source : await resizeImage(source, tileW, tileH);
    tiles.push({ image: fitted, index: 0, label: options.sourceLabel ?? 'source' });
  }
  for (let i = 0; i < images.count; i++) tiles.push({ image: images, index: i, label: tileLabel(images, i) });

  const columns = options.columns && options.columns > 0 ? Math.min(options.columns, tiles.length) : tiles.length;
  const rows = Math.ceil(tiles.length / columns);
  const scale = labelScale(tileW);
  const labelH = labels ? GLYPH_H * scale + 2 * Math.max(2, scale * 2) : 0;
  const cellH = tileH + labelH;
  const width = columns * tileW + (columns + 1) * gap;
  const height = rows * cellH + (rows + 1) * gap;
  const pixels = new Float32Array(width * height * 3).fill(1);
  const itemSize = tileW * tileH * 3;

  tiles.forEach((tile, t) => {
    const col = t % columns;
    const row = Math.floor(t / columns);
    const x0 = gap + col * (tileW + gap);
    const y0 = gap + row * (cellH + gap);
    const src = tile.image.pixels.subarray(tile.index * itemSize, (tile.index + 1) * itemSize);
    for (let y = 0; y < tileH; y++) {
      pixels.set(src.subarray(y * tileW * 3, (y + 1) * tileW * 3), ((y0 + y) * width + x0) * 3);
    }
    if (labels) drawText(pixels, width, x0, y0 + tileH + Math.max(2, scale * 2), tile.label, scale, tileW);
  });
  return makeImageBatch(1, height, width, pixels, [{ label: 'strength grid' }]);
}

/**
 * Rows of edits one under another, to compare them (two instructions, two cfg values, two seeds): each row is a
 * strip as composeStrengthGrid lays it out (the source first when given), under a band with its label. Rows of
 * another tile size are resized to the first row's. Throws Error when there are no rows or a row is empty.
 */
export async function composeCompareGrid(source: ImageBatch | null, rows: ImageBatch[], rowLabels: string[], options: GridOptions = {}): Promise<ImageBatch> {
  if (rows.length === 0) throw new Error('the compare grid needs at least one row of images');
  const empty = rows.findIndex((row) => row.count < 1);
  if (empty >= 0) throw new Error(`row ${empty + 1} of the compare grid has no images`);
  const gap = Math.max(0, Math.floor(options.gap ?? 4));
  const tileW = rows[0]!.width;
  const tileH = rows[0]!.height;
  const strips: ImageBatch[] = [];
  for (const row of rows) {
    const fitted = await resizeImage(row, tileW, tileH);
    strips.push(await composeStrengthGrid(source, fitted, { ...options, gap, columns: 0 }));
  }
  const scale = labelScale(tileW);
  const pad = Math.max(2, scale * 2);
  const bandH = rowLabels.some((label) => label.trim()) ? GLYPH_H * scale + pad : 0;
  const width = Math.max(...strips.map((strip) => strip.width));
  const height = strips.reduce((sum, strip) => sum + bandH + strip.height, 0);
  const pixels = new Float32Array(width * height * 3).fill(1);
  let y0 = 0;
  strips.forEach((strip, r) => {
    if (bandH) drawText(pixels, width, gap, y0 + pad, rowLabels[r]?.trim() ?? '', scale, width - 2 * gap);
    y0 += bandH;
    for (let y = 0; y < strip.height; y++) pixels.set(strip.pixels.subarray(y * strip.width * 3, (y + 1) * strip.width * 3), ((y0 + y) * width) * 3);
    y0 += strip.height;
  });
  return makeImageBatch(1, height, width, pixels, [{ label: 'compare grid' }]);
}
