// Builds the `models` service the host injects into node contexts: a bundle registry over models/ and extra
// directories, one onnxruntime adapter, and the Kontext pipeline on top.
import path from 'node:path';
import { BundleRegistry } from './bundles.js';
import { KontextPipeline, type PipelineOptions } from './kontext-pipeline.js';
import { OnnxRuntime, type DeviceChoice, type OnnxRuntimeOptions } from './onnx.js';

export interface ModelServiceOptions extends Omit<OnnxRuntimeOptions, 'device'>, PipelineOptions {
  /** The repository root: its models/ folder is always searched first. */
  repoDir: string;
  /** More folders of bundles (or bundle folders) to search after models/. */
  extraModelDirs?: readonly string[];
  /** 'auto' | 'cpu' | 'cuda' | 'webgpu' (a string straight from config or a CLI flag is checked here). */
  device?: string;
}

/**
 * The models service for NodeServices.models.
 * @throws Error when the device is not one of auto, cpu, cuda, webgpu.
 */
export function createModelService(options: ModelServiceOptions): KontextPipeline {
  const { repoDir, extraModelDirs = [], device, loadHashMaxBytes, vaePixelsPerCall, transformerTokensPerCall, ...runtimeOptions } = options;
  const runtime = new OnnxRuntime({ ...runtimeOptions, device: (device ?? 'auto') as DeviceChoice });
  const registry = new BundleRegistry([path.join(repoDir, 'models'), ...extraModelDirs]);
  return new KontextPipeline(registry, runtime, { loadHashMaxBytes, vaePixelsPerCall, transformerTokensPerCall });
}

/** Extra model directories from an environment value (path-list separated, like PATH). */
export function modelDirsFromEnv(value: string | undefined): string[] {
  return (value ?? '').split(path.delimiter).map((dir) => dir.trim()).filter((dir) => dir.length > 0);
}

/**
 * Loads bundles ahead of the first prompt: the files are checked and every graph's session created (366 ms for
 * kontext-tiny on 2 cores, seconds to minutes for a full-size model), so the first edit does not wait for them.
 * A prompt that needs a bundle meanwhile waits for the same load. Reports each outcome; never throws.
 */
export async function preloadBundles(models: KontextPipeline, names: readonly string[], log: { info: (m: string) => void; warn: (m: string) => void }): Promise<void> {
  const installed = models.bundleNames();
  for (const name of names) {
    if (!installed.includes(name)) {
      log.warn(`Preload: no model bundle '${name}' (installed: ${installed.join(', ') || 'none'})`);
      continue;
    }
    const started = performance.now();
    try {
      await models.load(name);
      log.info(`Model bundle '${name}' loaded in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      log.warn(`Preload: ${(error as Error).message}`);
    }
  }
}

