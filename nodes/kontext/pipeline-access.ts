// The one place the Kontext nodes reach the runtime: the `models` service (server/runtime/kontext-pipeline.ts).
import path from 'node:path';
import type { NodeServices } from '../../server/engine/node-definition.js';
import { REPO_DIR } from '../../server/config.js';
import { BundleRegistry } from '../../server/runtime/bundles.js';
import type { KontextHandle, KontextPipeline } from '../../server/runtime/kontext-pipeline.js';
import '../services.js';

export type { KontextHandle, KontextPipeline };

/** The Kontext pipeline from the node services; throws Error when the host did not provide one. */
export function kontextPipeline(services: NodeServices): KontextPipeline {
  const api = services.models;
  if (!api) throw new Error('this host runs no Kontext models (its services have no model runtime); start the server or CLI with models enabled');
  return api;
}

/** Bundle names for the loader's picker when no host bound its own list (see bind-choices.ts): models/ only. */
export function bundleChoices(): readonly string[] {
  return new BundleRegistry([path.join(REPO_DIR, 'models')]).names();
}
