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
