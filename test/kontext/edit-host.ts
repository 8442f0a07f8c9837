// Shared by the Kontext integration tests: a CLI host (engine, files, model runtime) on a temp data dir with the
// random-weight fixture bundle, and the shipped workflows pointed at it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { validatePrompt, type ExecuteOptions, type ExecutionEvent, type ExecutionResult, type Prompt } from '../../server/engine/index.js';
import { createCliHost, type CliHost } from '../../server/cli/host.js';
import { loadInput } from '../../server/cli/load-input.js';
import { applySets } from '../../server/cli/overrides.js';
import { seedSampleInputs } from '../../server/cli/sample-inputs.js';
import { WORKFLOWS_DIR } from '../../server/cli/shipped-workflows.js';

export const FIXTURE_BUNDLES = path.resolve(import.meta.dirname, '..', 'fixtures', 'bundles');
export const FIXTURE_BUNDLE = 'kontext-fixture';

export interface EditHost extends CliHost {
  dataDir: string;
  dispose(): Promise<void>;
}

/**
 * A host on a fresh temp data dir, with the sample image seeded and the fixture bundles searchable. One thread per
 * operator: the fixture's graphs are tiny, and spinning thread pools crawl on a busy shared machine.
 */
export async function editHost(extraModelDirs: string[] = [], options: { intraOpThreads?: number } = { intraOpThreads: 1 }): Promise<EditHost> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'knodes-edit-'));
  const host = await createCliHost({ dataDir, device: 'cpu', modelsDirs: [FIXTURE_BUNDLES, ...extraModelDirs], log: () => {}, ...options });
  seedSampleInputs(host.files);
  return {
    ...host,
    dataDir,
    async dispose() {
      await host.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A shipped workflow as a prompt, on `bundle`, with the given --set style overrides applied. */
export function shippedPrompt(host: CliHost, name: string, sets: Record<string, string | number | boolean> = {}, bundle = FIXTURE_BUNDLE): Prompt {
  const { prompt } = loadInput(path.join(WORKFLOWS_DIR, name), host.registry);
  const all = { 'KontextModelLoader.bundle': bundle, ...sets };
  applySets(prompt, null, Object.entries(all).map(([key, value]) => {
    const dot = key.lastIndexOf('.');
    return { node: key.slice(0, dot), input: key.slice(dot + 1), value: String(value) };
  }), host.registry);
  return prompt;
}

/** Validates and executes a prompt, collecting its events. Throws when validation fails. */
export async function execute(host: CliHost, prompt: Prompt, options: Partial<ExecuteOptions> = {}): Promise<ExecutionResult & { events: ExecutionEvent[] }> {
  const validation = await validatePrompt(prompt, host.registry, host.services);
  if (!validation.ok) throw new Error(`invalid prompt: ${JSON.stringify(validation.error ?? validation.node_errors)}`);
  const events: ExecutionEvent[] = [];
  const runnable = (validation as { prompt?: Prompt }).prompt ?? prompt;
  const result = await host.executor.execute(runnable, {
    promptId: randomUUID(),
    outputs: validation.outputs,
    ...options,
    emit: (event) => {
      events.push(event);
      options.emit?.(event);
    },
  });
  return { ...result, events };
}
