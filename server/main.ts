// `npm start`: parses flags and environment, starts the server, prints its URL, and shuts down gracefully on
// SIGINT/SIGTERM (the running prompt finishes or is checkpointed back to the queue; sockets and the database close).
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { allNodes } from '../nodes/index.js';
import { createServer } from './app.js';
import { ConfigError, isLoopbackHost, parseConfig, REPO_DIR } from './config.js';
import type { NodeDefinition } from './engine/node-definition.js';
import { createModelService, modelDirsFromEnv, preloadBundles } from './runtime/model-service.js';
import { bindBundleChoices } from '../nodes/kontext/bind-choices.js';
import { seedSampleInputs } from './cli/sample-inputs.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(error.message.startsWith('Usage:') ? 0 : 2);
    }
    throw error;
  }
  let nodes: NodeDefinition[] = allNodes;
  // Test-only stub nodes (a slow node for the crash test); never part of the product's registry by default.
  if (process.env.KONTINUOUS_TEST_NODES === '1') {
    const fixtures = (await import(pathToFileURL(path.join(REPO_DIR, 'test', 'fixtures', 'test-nodes.ts')).href)) as { testNodes: NodeDefinition[] };
    nodes = [...allNodes, ...fixtures.testNodes];
    console.warn('KONTINUOUS_TEST_NODES=1: test stub nodes are registered');
  }
  if (!isLoopbackHost(config.host) && !config.token) {
    console.warn(`WARNING: listening on ${config.host} without an auth token (--insecure): anyone who can reach this port can run prompts and read outputs.`);
  }
  // The model runtime: bundles under models/ plus KONTINUOUS_MODEL_DIRS (path-delimited), on config.device.
  const models = createModelService({ repoDir: REPO_DIR, extraModelDirs: modelDirsFromEnv(process.env.KONTINUOUS_MODEL_DIRS), device: config.device });
  const server = createServer({ config, nodes: bindBundleChoices(nodes, () => models.bundleNames()), services: { models } });
  // The shipped templates load the sample image by name: copy it into input/ unless the user has one so named.
  seedSampleInputs(server.context.files);
  if (server.context.recoveredAfterCrash.length > 0) {
    console.warn(`Recovered after an unclean stop: ${server.context.recoveredAfterCrash.length} prompt(s) that were running are recorded as interrupted in history.`);
  }
  // Handlers before the URL is printed: a supervisor may signal as soon as it sees that line.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      console.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: finishing the running prompt (up to ${config.shutdownGraceSeconds}s), then closing.`);
    server.close().then(() => models.runtime.release()).then(
      () => process.exit(0),
      (error) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const pending = server.context.store.pendingCount;
  const { url } = await server.listen();
  console.log(`Data dir: ${config.dataDir} (pending prompts: ${pending})`);
  // Last, so a script that waits for this line has seen everything above it.
  console.log(`Kontinuous Studio listening on ${url}`);
  // Start the onnxruntime thread, choose the device and load the --preload bundles now, in the background: the
  // first edit does not pay for them, and a device or bundle that cannot work is reported at start.
  models.runtime.resolveProvider().then(
    (provider) => {
      console.log(`Models run on ${provider} (onnxruntime thread ready)`);
      return preloadBundles(models, config.preload, { info: console.log, warn: console.warn });
    },
    (error: Error) => console.warn(`Models cannot run yet: ${error.message}`),
  );
  if (config.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [config.token ? `${url}?token=${encodeURIComponent(config.token)}` : url], { stdio: 'ignore', detached: true }).on('error', () => {
      console.warn(`could not open a browser; visit ${url}`);
    }).unref();
  }
}

main().catch((error) => {
  console.error('Kontinuous Studio failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
