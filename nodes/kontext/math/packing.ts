// 2x2 patch packing between latents [B,C,h,w] and transformer tokens [B,(h/2)(w/2),4C] (KONTEXT.md 2):
// token i*(w/2)+j holds channel c*4+dy*2+dx = z[c, 2i+dy, 2j+dx].
import { expectRank, type FloatTensor } from './tensor.js';

/**
 * Packs a latent into 2x2-patch tokens.
 * @throws Error when the latent is not rank 4 or its grid is odd.
 */
export function packLatent(latent: FloatTensor): FloatTensor {
  expectRank(latent, 4, 'latent', '[B,C,h,w]');
  const [batch, channels, h, w] = latent.dims as [number, number, number, number];
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`latent grid ${h}x${w} must be even to pack 2x2 patches`);
  const gh = h / 2;
  const gw = w / 2;
  const width = channels * 4;
  const out = new Float32Array(latent.data.length);
  const src = latent.data;
  for (let b = 0; b < batch; b++) {
    const srcBase = b * channels * h * w;
    const dstBase = b * gh * gw * width;
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < h; y++) {
        const i = y >> 1;
        const dy = y & 1;
        const row = srcBase + (c * h + y) * w;
        for (let x = 0; x < w; x++) {
          const token = i * gw + (x >> 1);
          out[dstBase + token * width + c * 4 + dy * 2 + (x & 1)] = src[row + x]!;
        }
      }
    }
  }
  return { data: out, dims: [batch, gh * gw, width] };
}

/**
 * Unpacks tokens back into a latent of grid h x w.
 * @throws Error when the token count or width does not fit the grid.
 */
export function unpackTokens(tokens: FloatTensor, h: number, w: number): FloatTensor {
  expectRank(tokens, 3, 'tokens', '[B,N,4C]');
  const [batch, count, width] = tokens.dims as [number, number, number];
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`latent grid ${h}x${w} must be even to unpack 2x2 patches`);
  if (count !== (h / 2) * (w / 2)) throw new Error(`${count} tokens do not fill a ${h}x${w} latent grid (${(h / 2) * (w / 2)} expected)`);
  if (width % 4 !== 0) throw new Error(`token width ${width} is not a multiple of 4`);
  const channels = width / 4;
  const gw = w / 2;
  const out = new Float32Array(tokens.data.length);
  const src = tokens.data;
  for (let b = 0; b < batch; b++) {
    const srcBase = b * count * width;
    const dstBase = b * channels * h * w;
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < h; y++) {
        const i = y >> 1;
        const dy = y & 1;
        const row = dstBase + (c * h + y) * w;
        for (let x = 0; x < w; x++) {
          const token = i * gw + (x >> 1);
          out[row + x] = src[srcBase + token * width + c * 4 + dy * 2 + (x & 1)]!;
        }
      }
    }
  }
  return { data: out, dims: [batch, channels, h, w] };
}
