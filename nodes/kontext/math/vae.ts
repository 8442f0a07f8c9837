// The VAE's latent normalisation (KONTEXT.md 2): the encoder's mean is shifted and scaled before the
// transformer sees it, and the inverse is applied before decoding.
import type { FloatTensor } from './tensor.js';

/** A bundle's VAE factors (manifest `vae`). */
export interface VaeFactors {
  scaling_factor: number;
  shift_factor: number;
}

/** The encoder's mean to the transformer's latent: `(mean - shift) * scale`, as a new tensor. */
export function toScaledLatent(mean: FloatTensor, vae: VaeFactors): FloatTensor {
  const out = new Float32Array(mean.data.length);
  const { scaling_factor: scale, shift_factor: shift } = vae;
  for (let i = 0; i < out.length; i++) out[i] = (mean.data[i]! - shift) * scale;
  return { data: out, dims: [...mean.dims] };
}

/** The transformer's latent back to the decoder's input: `z / scale + shift`, as a new tensor. */
export function fromScaledLatent(latent: FloatTensor, vae: VaeFactors): FloatTensor {
  const out = new Float32Array(latent.data.length);
  const { scaling_factor: scale, shift_factor: shift } = vae;
  for (let i = 0; i < out.length; i++) out[i] = latent.data[i]! / scale + shift;
  return { data: out, dims: [...latent.dims] };
}
