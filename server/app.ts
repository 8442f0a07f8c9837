// createServer: one HTTP server with the ComfyUI-compatible API (at /X and /api/X), our own routes, socket.io,
// the raw /ws bridge, the SQLite queue and its single worker. Tests start it on port 0; main.ts wraps it.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server as SocketIoServer } from 'socket.io';
import { allNodes } from '../nodes/index.js';
import '../nodes/services.js';
import type { ServerConfig } from './config.js';
import { isLoopbackHost } from './config.js';
import { OutputCache } from './engine/cache.js';
import { Executor } from './engine/executor.js';
import type { NodeDefinition, NodeServices } from './engine/node-definition.js';
import { bindImageChoices } from '../nodes/image/bind-choices.js';
import { NodeRegistry } from './engine/registry.js';
import type { ServerContext } from './http/context.js';
import { errorHandler, sendError } from './http/errors.js';
import { jsonBody } from './http/json-body.js';
import { historyRoutes } from './http/routes-history.js';
import { fileRoutes } from './http/routes-files.js';
import { cpuDevice, infoRoutes, type DeviceInfo } from './http/routes-info.js';
import { promptRoutes } from './http/routes-prompt.js';
import { workflowRoutes } from './http/routes-workflows.js';
import { inspectRequest, isStateChanging, type SecurityPolicy } from './http/security.js';
import { staticClient } from './http/static-client.js';
import { attachComfyWs, type ComfyWsBridge } from './realtime/comfy-ws.js';
import { EventBus } from './realtime/event-bus.js';
import type { HandshakeCheck } from './realtime/handshake.js';
import { attachSocketIo } from './realtime/socketio-bridge.js';
import { FileAreas } from './store/file-areas.js';
import { QueueStore } from './store/queue-store.js';
import { QueueWorker } from './store/queue-worker.js';
import { WorkflowLibrary } from './store/workflow-library.js';

export interface CreateServerOptions {
  config: ServerConfig;
  /** Node classes to serve; default: every shipped node (nodes/index.ts). */
  nodes?: NodeDefinition[];
  /** Extra services for nodes (the model runtime, ...); `files` is always this server's file areas. */
  services?: Partial<NodeServices> & Record<string, unknown>;
  /** Accelerators for system_stats (the runtime knows them); default: the CPU. */
  devices?: () => DeviceInfo[];
}

export interface KontinuousServer {
  app: express.Express;
  httpServer: http.Server;
  io: SocketIoServer;
  context: ServerContext;
  /** Starts listening on config.host:config.port (0 = any free port); resolves with the URL. */
  listen(): Promise<{ host: string; port: number; url: string }>;
  /** Graceful stop: finish or checkpoint the running prompt, close sockets and the database. Idempotent. */
  close(): Promise<void>;
}

/** Builds a server from a config; throws if the data dir or its database cannot be opened. */
export function createServer(options: CreateServerOptions): KontinuousServer {
  const { config } = options;
  fs.mkdirSync(config.dataDir, { recursive: true });
  const files = new FileAreas(config.dataDir, { maxPixels: config.limits.maxPixels });
  const services = { ...options.services, files } as NodeServices;
  const registry = new NodeRegistry(bindImageChoices(options.nodes ?? allNodes, files));
  const executor = new Executor({ registry, services, cache: new OutputCache({ maxBytes: Math.round(config.cacheMb * 1024 * 1024) }) });
  const store = new QueueStore(path.join(config.dataDir, 'queue.sqlite'), config.maxHistory);
  const recoveredAfterCrash = store.recoverInterrupted();
  const bus = new EventBus();
  bus.setQueueSource(() => store.remaining);
  const worker = new QueueWorker(store, (prompt, opts) => executor.execute(prompt, opts), bus);
  const workflows = new WorkflowLibrary(path.join(config.repoDir, 'workflows'), config.dataDir);
  const context: ServerContext = { config, registry, services, files, executor, store, worker, bus, workflows, recoveredAfterCrash };

  const policy: SecurityPolicy = { loopbackOnly: isLoopbackHost(config.host), token: config.token };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cross-Origin-Resource-Policy': 'same-origin' });
    const refusal = inspectRequest(req, policy, isStateChanging(req.method));
    if (refusal) return sendError(res, refusal.status, refusal.type, refusal.message);
    next();
  });
  app.use(jsonBody(config.limits.jsonBodyBytes, config.limits.maxJsonDepth));
  const api = express.Router();
  api.use(promptRoutes(context));
  api.use(historyRoutes(context));
  api.use(fileRoutes(context));
  api.use(infoRoutes(context, options.devices ?? (() => [cpuDevice()])));
  api.use(workflowRoutes(context));
  // Every route answers at /X and /api/X (ComfyUI's front end uses the second, older scripts the first).
  app.use('/api', api);
  app.use(api);
  app.use(staticClient(path.join(config.repoDir, 'client', 'dist')));
  app.get('/', (_req, res) => {
    res.json({ name: 'Kontinuous Studio', message: 'The editor is not built yet: run `npm run build:client`, then reload.', api: '/api' });
  });
  app.use((req: Request, res: Response) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path.slice(0, 200)}`));
  app.use(errorHandler);

  // Our own Host check answers a missing Host with a JSON 400, instead of Node's bare one.
  const httpServer = http.createServer({ requireHostHeader: false }, app);
  httpServer.headersTimeout = 30_000;
  httpServer.requestTimeout = 120_000;
  httpServer.keepAliveTimeout = 5_000;
  const check: HandshakeCheck = (req, token) => inspectRequest(req, policy, true, token);
  const io = attachSocketIo(httpServer, bus, check, () => store.remaining);
  const comfyWs: ComfyWsBridge = attachComfyWs(httpServer, bus, check, () => store.remaining);

  let closing: Promise<void> | null = null;
  return {
    app,
    httpServer,
    io,
    context,
    listen() {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          const address = httpServer.address() as AddressInfo;
          const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          worker.kick(); // prompts left pending by a previous run start now
          resolve({ host: address.address, port: address.port, url: `http://${host}:${address.port}/` });
        });
      });
    },
    close() {
      closing ??= (async () => {
        await worker.stop(config.shutdownGraceSeconds * 1000);
        bus.close();
        comfyWs.close();
        await new Promise<void>((resolve) => io.close(() => resolve()));
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        store.close();
      })();
      return closing;
    },
  };
}
