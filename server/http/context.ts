// What every route handler reaches: the parts of one running server.
import type { ServerConfig } from '../config.js';
import type { Executor } from '../engine/executor.js';
import type { NodeServices } from '../engine/node-definition.js';
import type { NodeRegistry } from '../engine/registry.js';
import type { EventBus } from '../realtime/event-bus.js';
import type { FileAreas } from '../store/file-areas.js';
import type { QueueStore } from '../store/queue-store.js';
import type { QueueWorker } from '../store/queue-worker.js';
import type { WorkflowLibrary } from '../store/workflow-library.js';

export interface ServerContext {
  config: ServerConfig;
  registry: NodeRegistry;
  services: NodeServices;
  files: FileAreas;
  executor: Executor;
  store: QueueStore;
  worker: QueueWorker;
  bus: EventBus;
  workflows: WorkflowLibrary;
  /** Prompt ids found running at start (the server had died) and recorded as interrupted. */
  recoveredAfterCrash: string[];
}
