// Everything a CLI run needs, in-process: file areas under the data dir, the model registry and runtime, the node
// registry with the host's choices bound, and an executor. No HTTP server is involved.
import path from 'node:path';
import { allNodes } from '../../nodes/index.js';
import '../../nodes/services.js';
import { bindBundleChoices } from '../../nodes/kontext/bind-choices.js';
import { bindImageChoices } from '../../nodes/image/bind-choices.js';
import { Executor, NodeRegistry, OutputCache, type NodeFailure, type NodeServices } from '../engine/index.js';
import { FileAreas } from '../store/file-areas.js';
import { REPO_DIR } from '../config.js';
import { createModelService } from '../runtime/model-service.js';
import type { KontextPipeline } from '../runtime/kontext-pipeline.js';

export interface CliHostOptions {
  dataDir: string | null;
  device: string | null;
  modelsDirs: readonly string[];
  log: (message: string) => void;
  /** Threads inside one onnxruntime operator; default: onnxruntime's choice (the physical cores). */
  intraOpThreads?: number;
}

export interface CliHost {
  registry: NodeRegistry;
  models: KontextPipeline;
  services: NodeServices;
  files: FileAreas;
  executor: Executor;
  /** Milliseconds spent inside onnxruntime so far. */
  onnxMs(): number;
  /** The execution provider sessions run on ('not started' before the first model loads). */
  provider(): string;
  close(): Promise<void>;
}

/** True when a failure comes from loading or checking a model bundle (exit code 3 rather than 1). */
export function isModelFailure(failure: NodeFailure): boolean {
  return failure.node_type === 'KontextModelLoader' || /model bundle|manifest|\.onnx|onnxruntime could not load|no strength control/i.test(failure.message);
}

/** Builds the host; throws when the data dir cannot be created or the device name is unknown. */
export async function createCliHost(options: CliHostOptions): Promise<CliHost> {
  // An empty variable counts as unset (path.resolve('') would be the working directory).
  const dataDir = path.resolve(options.dataDir || process.env.KONTINUOUS_DATA_DIR || path.join(REPO_DIR, 'data'));
  const files = new FileAreas(dataDir, { clearTemp: false });
  const models = createModelService({
    repoDir: REPO_DIR,
    extraModelDirs: options.modelsDirs.map((dir) => path.resolve(dir)),
    device: options.device || process.env.KONTINUOUS_DEVICE || 'auto',
    log: options.log,
    ...(options.intraOpThreads !== undefined && { intraOpThreads: options.intraOpThreads }),
  });
  const runtime = models.runtime;
  const services = { files, models } as NodeServices;
  const registry = new NodeRegistry(bindBundleChoices(bindImageChoices(allNodes, files), () => models.bundleNames()));
  const executor = new Executor({ registry, services, cache: new OutputCache(), logger: { error: (message) => options.log(message) } });
  let provider = 'not started';
  return {
    registry,
    models,
    services,
    files,
    executor,
    onnxMs: () => runtime.runTimings().onnxMs,
    provider: () => {
      const used = runtime.providerAttempts().find((a) => a.ok);
      if (used) provider = used.provider;
      return provider;
    },
    close: () => runtime.release(),
  };
}
