// PROVISIONAL: the one place the Kontext nodes reach the runtime (server/runtime/kontext-pipeline.ts) through
// the `models` service, so an API change touches this file only.
import type { NodeServices } from '../../server/engine/node-definition.js';
import path from 'node:path';
import { REPO_DIR } from '../../server/config.js';
import { BundleRegistry } from '../../server/runtime/bundles.js';
import type { FloatTensor, Resolution } from './math/index.js';

export interface KontextHandle {
  readonly name: string;
}

export interface DenoiseRequest {
  text: { pooled: FloatTensor; embeds: FloatTensor };
  refLatent: FloatTensor;
  modulation: FloatTensor | null;
  strengths: number[];
  seed: number;
  steps: number;
  guidance: number;
  width: number;
  height: number;
}

export interface KontextPipelineApi {
  bundleNames(): string[];
  load(name: string): Promise<KontextHandle>;
  hasStrengthControl(handle: KontextHandle): boolean;
  resolutions(handle: KontextHandle): Resolution[];
  defaults(handle: KontextHandle): { steps: number; guidance: number; seed: number };
  latentChannels(handle: KontextHandle): number;
  downscale(handle: KontextHandle): number;
  encodeText(handle: KontextHandle, text: string): Promise<{ pooled: FloatTensor; embeds: FloatTensor }>;
  encodeImage(handle: KontextHandle, image: FloatTensor): Promise<FloatTensor>;
  project(handle: KontextHandle, strengths: number[], pooled: FloatTensor): Promise<FloatTensor>;
  denoise(
    handle: KontextHandle,
    request: DenoiseRequest,
    options: { signal: AbortSignal; onStep?: (step: number, steps: number, x0: FloatTensor) => void | Promise<void> },
  ): Promise<FloatTensor>;
  decode(handle: KontextHandle, latent: FloatTensor): Promise<FloatTensor>;
  previewDecode(handle: KontextHandle, latent: FloatTensor): Promise<FloatTensor>;
}

/** The Kontext pipeline from the node services; throws Error when the host did not provide one. */
export function kontextPipeline(services: NodeServices): KontextPipelineApi {
  const api = (services as { models?: KontextPipelineApi }).models;
  if (!api) throw new Error('the Kontext model service is not available in this host (services.models is missing)');
  return api;
}

/** Bundle names for the loader's picker when no host bound its own list (see bind-choices.ts): models/ only. */
export function bundleChoices(): readonly string[] {
  return new BundleRegistry([path.join(REPO_DIR, 'models')]).names();
}
