// What each ONNX file of a bundle must declare, in terms of the manifest's dims (KONTEXT.md 3). Free dims
// (batch, tokens, pixels) match anything; fixed ones must equal the manifest's value when the graph fixes them.
import type { BundleManifest, FileRole } from './manifest-schema.js';

/** One dimension of an expected shape: free (matches any size) or fixed to a manifest value. */
export interface DimSpec {
  label: string;
  value?: number;
}

export interface IoSpec {
  /** null: the graph's first output, whatever its name (VAE outputs are not named by the contract). */
  name: string | null;
  type: 'float32' | 'int64';
  shape: DimSpec[];
  optional?: boolean;
}

export interface ModelContract {
  inputs: IoSpec[];
  outputs: IoSpec[];
}

const free = (label: string): DimSpec => ({ label });

/** The ONNX roles of a bundle and the contract of each, for this manifest's dims. */
export function bundleContracts(manifest: BundleManifest): Partial<Record<FileRole, ModelContract>> {
  const d = manifest.dims;
  const fixed = (key: keyof BundleManifest['dims']): DimSpec => ({ label: key, value: d[key] });
  const one = (label: string): DimSpec => ({ label, value: 1 });
  const three: DimSpec = { label: 'xyz', value: 3 };
  const rgb: DimSpec = { label: 'rgb', value: 3 };
  const latent = [free('B'), fixed('latent_channels'), free('h'), free('w')];
  const image = [free('B'), rgb, free('H'), free('W')];
  return {
    text_encoder_clip: {
      inputs: [{ name: 'input_ids', type: 'int64', shape: [free('B'), fixed('clip_seq_len')] }],
      outputs: [{ name: 'pooled', type: 'float32', shape: [free('B'), fixed('pooled_dim')] }],
    },
    text_encoder_t5: {
      inputs: [{ name: 'input_ids', type: 'int64', shape: [free('B'), fixed('t5_seq_len')] }],
      outputs: [{ name: 'text_embeds', type: 'float32', shape: [free('B'), fixed('t5_seq_len'), fixed('joint_dim')] }],
    },
    projector: {
      inputs: [
        { name: 'strength', type: 'float32', shape: [free('B'), one('strength')] },
        { name: 'pooled', type: 'float32', shape: [free('B'), fixed('pooled_dim')] },
      ],
      outputs: [{ name: 'modulation', type: 'float32', shape: [free('B'), fixed('modulation_dim')] }],
    },
    transformer: {
      inputs: [
        { name: 'hidden_states', type: 'float32', shape: [free('B'), free('N'), fixed('packed_channels')] },
        { name: 'encoder_hidden_states', type: 'float32', shape: [free('B'), fixed('t5_seq_len'), fixed('joint_dim')] },
        { name: 'pooled_projections', type: 'float32', shape: [free('B'), fixed('pooled_dim')] },
        { name: 'timestep', type: 'float32', shape: [free('B')] },
        { name: 'guidance', type: 'float32', shape: [free('B')] },
        { name: 'img_ids', type: 'float32', shape: [free('N'), three] },
        { name: 'txt_ids', type: 'float32', shape: [fixed('t5_seq_len'), three] },
        { name: 'modulation', type: 'float32', shape: [free('B'), fixed('modulation_dim')], optional: true },
        { name: 'lora_scale', type: 'float32', shape: [one('lora_scale')], optional: true },
      ],
      outputs: [{ name: 'velocity', type: 'float32', shape: [free('B'), free('N'), fixed('packed_channels')] }],
    },
    vae_encoder: {
      inputs: [{ name: 'image', type: 'float32', shape: image }],
      outputs: [{ name: null, type: 'float32', shape: latent }],
    },
    vae_decoder: {
      inputs: [{ name: 'latent', type: 'float32', shape: latent }],
      outputs: [{ name: null, type: 'float32', shape: image }],
    },
    preview_decoder: {
      inputs: [{ name: 'latent', type: 'float32', shape: latent }],
      outputs: [{ name: null, type: 'float32', shape: image }],
    },
  };
}

/** `[B,joint_dim=4096]`-style text of an expected shape. */
export function formatSpec(shape: readonly DimSpec[]): string {
  return `[${shape.map((d) => (d.value === undefined ? d.label : d.label === String(d.value) ? d.value : `${d.label}=${d.value}`)).join(',')}]`;
}

/** Null when a declared shape fits the spec (symbolic dims fit anything), else why not. */
export function shapeMismatch(actual: ReadonlyArray<number | string>, spec: readonly DimSpec[]): string | null {
  if (actual.length === 0) return null; // the graph leaves the shape unspecified: checked at run time
  if (actual.length !== spec.length) return `rank ${actual.length}, expected rank ${spec.length}`;
  const wrong: string[] = [];
  spec.forEach((dim, i) => {
    const got = actual[i];
    if (dim.value !== undefined && typeof got === 'number' && got >= 0 && got !== dim.value) wrong.push(`dim ${i} is ${got}, ${dim.label} is ${dim.value}`);
  });
  return wrong.length > 0 ? wrong.join('; ') : null;
}
