// The executor: runs the nodes that the requested outputs need, in topological order, serving unchanged
// nodes from the content-keyed cache, isolating failures to their dependants and honouring interrupts.
import type { ExecuteOptions, ExecutionResult, NodeFailure, Prompt } from './api.js';
import { OutputCache } from './cache.js';
import { runErrors } from './errors.js';
import type { ExecutionEvent } from './events.js';
import { executionOrder, isLinkValue, unwrapLiteral } from './graph.js';
import type { NodeDefinition, NodeInputs, NodeResult, NodeServices, UiOutput } from './node-definition.js';
import type { NodeRegistry } from './registry.js';
import { nodeSignature } from './signature.js';
import { summariseInputs } from './summarise.js';

/** Where stacks go: server logs only, never clients. */
export interface EngineLogger {
  error(message: string, error?: unknown): void;
}

export interface ExecutorOptions {
  registry: NodeRegistry;
  /** Shared across prompts so unchanged nodes are reused between runs and workflows; default: a fresh cache. */
  cache?: OutputCache;
  services?: NodeServices;
  logger?: EngineLogger;
}

/** Thrown inside the executor when a run is interrupted; nodes may throw `ctx.signal.reason` instead. */
export class InterruptedError extends Error {
  constructor() {
    super('Execution was interrupted');
    this.name = 'InterruptedError';
  }
}

/** The events ComfyUI keeps in a history entry's status.messages (per-node events would bloat it). */
const HISTORY_EVENTS: ReadonlySet<string> = new Set(['execution_start', 'execution_cached', 'execution_success', 'execution_error', 'execution_interrupted']);

const consoleLogger: EngineLogger = { error: (message, error) => console.error(message, error) };

type Outcome =
  | { kind: 'done'; outputs: unknown[]; ui?: UiOutput }
  | { kind: 'failed'; root: string }; // root: the node whose failure this one inherits (itself if it threw)

/** Runs validated prompts; one instance per server, reused for every prompt so its cache persists. */
export class Executor {
  readonly registry: NodeRegistry;
  readonly cache: OutputCache;
  readonly services: NodeServices;
  private readonly logger: EngineLogger;

  constructor(options: ExecutorOptions) {
    this.registry = options.registry;
    this.cache = options.cache ?? new OutputCache();
    this.services = options.services ?? ({} as NodeServices);
    this.logger = options.logger ?? consoleLogger;
  }

  /**
   * Executes the outputs of a prompt (validate it first and pass `validation.prompt`). Never throws for node
   * failures or interrupts: they are reported in the result and the event stream. Output values are shared
   * with the cache and every dependant, so nodes must never mutate their inputs in place.
   */
  async execute(input: Prompt, opts: ExecuteOptions): Promise<ExecutionResult> {
    const prompt = withInputObjects(input);
    const promptId = opts.promptId;
    const signal = opts.signal;
    const messages: Array<[string, unknown]> = [];
    const emitHook = opts.emit;
    const emit = (event: ExecutionEvent): void => {
      if (HISTORY_EVENTS.has(event.type)) messages.push([event.type, event.data]);
      if (emitHook) {
        try {
          emitHook(event);
        } catch (e) {
          this.logger.error(`[engine] event listener failed on ${event.type}`, e);
        }
      }
    };
    const result: ExecutionResult = {
      status: 'success',
      outputs: {},
      executed: [],
      cached: [],
      failures: [],
      failedOutputs: {},
      messages,
      timings: {},
    };
    emit({ type: 'execution_start', data: { prompt_id: promptId, timestamp: Date.now() } });

    const outputs = (opts.outputs ?? Object.keys(prompt).filter((id) => this.registry.get(prompt[id].class_type)?.outputNode === true))
      .filter((id) => id in prompt);
    const outcomes = new Map<string, Outcome>();
    const fingerprintErrors = new Map<string, unknown>();
    const signatures = await this.signaturesFor(prompt, outputs, fingerprintErrors);

    // Walk from the outputs, stopping at cached nodes: their ancestors are not needed at all this time.
    const cachedSet = new Set<string>();
    const plan = executionOrder(prompt, outputs, (id) => {
      const sig = signatures.get(id);
      const entry = sig ? this.cache.get(sig) : undefined;
      if (!entry) return false;
      cachedSet.add(id);
      outcomes.set(id, { kind: 'done', outputs: entry.outputs, ui: entry.ui });
      return true;
    });
    result.cached = plan.filter((id) => cachedSet.has(id));
    emit({ type: 'execution_cached', data: { nodes: result.cached, prompt_id: promptId, timestamp: Date.now() } });

    let interruptedAt: string | null = null;
    for (const id of plan) {
      const node = prompt[id];
      if (cachedSet.has(id)) {
        const ui = (outcomes.get(id) as { ui?: UiOutput }).ui;
        if (ui) this.reportUi(id, ui, promptId, result, emit);
        continue;
      }
      if (signal?.aborted) { interruptedAt = id; break; }
      const blocked = this.failedSource(node.inputs, outcomes);
      if (blocked !== null) {
        outcomes.set(id, { kind: 'failed', root: blocked });
        continue;
      }
      const def = this.registry.get(node.class_type);
      if (!def) {
        this.recordFailure(id, node.class_type, new Error(runErrors.unknownClass(node.class_type)), node.inputs, result, outcomes);
        continue;
      }
      const inputs = resolveInputs(id, node.inputs, def, outcomes);
      if (typeof inputs === 'string') {
        this.recordFailure(id, node.class_type, new Error(inputs), node.inputs, result, outcomes);
        continue;
      }
      if (fingerprintErrors.has(id)) {
        // The external state could not be read (a missing file): the node could not have run correctly.
        this.recordFailure(id, node.class_type, fingerprintErrors.get(id), inputs, result, outcomes);
        continue;
      }
      emit({ type: 'executing', data: { node: id, display_node: id, prompt_id: promptId } });
      const started = performance.now();
      try {
        const out = await this.runNode(id, def, inputs, prompt, opts, emit);
        result.timings![id] = performance.now() - started;
        result.executed.push(id);
        outcomes.set(id, { kind: 'done', outputs: out.outputs, ui: out.ui });
        const sig = signatures.get(id);
        if (sig) this.cache.set(sig, out.outputs, out.ui);
        if (out.ui) this.reportUi(id, out.ui, promptId, result, emit);
      } catch (error) {
        result.timings![id] = performance.now() - started;
        if (signal?.aborted) { interruptedAt = id; break; }
        this.recordFailure(id, node.class_type, error, inputs, result, outcomes);
      }
    }

    for (const out of outputs) {
      const outcome = outcomes.get(out);
      if (outcome?.kind === 'failed') result.failedOutputs[out] = outcome.root;
    }
    const executedSoFar = [...result.cached, ...result.executed];
    if (interruptedAt !== null) {
      result.status = 'interrupted';
      emit({
        type: 'execution_interrupted',
        data: { prompt_id: promptId, node_id: interruptedAt, node_type: prompt[interruptedAt].class_type, executed: executedSoFar, timestamp: Date.now() },
      });
    } else if (result.failures.length > 0) {
      result.status = 'error';
      for (const f of result.failures) {
        emit({
          type: 'execution_error',
          data: {
            prompt_id: promptId,
            node_id: f.node_id,
            node_type: f.node_type,
            executed: executedSoFar,
            exception_message: f.message,
            exception_type: f.exception_type,
            traceback: [],
            current_inputs: f.inputs,
            current_outputs: {},
            timestamp: Date.now(),
          },
        });
      }
    } else {
      emit({ type: 'execution_success', data: { prompt_id: promptId, timestamp: Date.now() } });
    }
    emit({ type: 'executing', data: { node: null, prompt_id: promptId } });
    return result;
  }

  /** Signatures of every node the outputs need (null: not cacheable); fingerprint failures are collected. */
  private async signaturesFor(prompt: Prompt, outputs: string[], fingerprintErrors: Map<string, unknown>): Promise<Map<string, string | null>> {
    const signatures = new Map<string, string | null>();
    for (const id of executionOrder(prompt, outputs)) {
      const node = prompt[id];
      const def = this.registry.get(node.class_type);
      if (!def || def.deterministic === false) { signatures.set(id, null); continue; }
      let fingerprint: string | undefined;
      if (def.fingerprint) {
        try {
          const literal: NodeInputs = {};
          for (const [name, value] of Object.entries(node.inputs)) if (!isLinkValue(value)) literal[name] = unwrapLiteral(value);
          const fp = def.fingerprint(literal, this.services);
          fingerprint = typeof fp === 'string' ? fp : await fp;
        } catch (error) {
          fingerprintErrors.set(id, error);
          signatures.set(id, null);
          continue;
        }
      }
      signatures.set(id, nodeSignature(node.class_type, node.inputs, fingerprint, (src) => signatures.get(src)));
    }
    return signatures;
  }

  private failedSource(inputs: Record<string, unknown>, outcomes: Map<string, Outcome>): string | null {
    for (const value of Object.values(inputs)) {
      if (!isLinkValue(value)) continue;
      const outcome = outcomes.get(String(value[0]));
      if (outcome?.kind === 'failed') return outcome.root;
    }
    return null;
  }

  private async runNode(
    id: string,
    def: NodeDefinition,
    inputs: NodeInputs,
    prompt: Prompt,
    opts: ExecuteOptions,
    emit: (event: ExecutionEvent) => void,
  ): Promise<NodeResult> {
    const promptId = opts.promptId;
    const signal = opts.signal ?? neverAborted;
    const ctx = {
      nodeId: id,
      classType: def.id,
      promptId,
      signal,
      services: this.services,
      prompt,
      extraData: opts.extraData ?? {},
      progress: (value: number, max: number) => emit({ type: 'progress', data: { value, max, prompt_id: promptId, node: id } }),
      preview: (image: { format: 'jpeg' | 'png'; data: Uint8Array }) =>
        emit({ type: 'preview', data: { prompt_id: promptId, node_id: id, display_node_id: id, image } }),
    };
    const returned = def.run(ctx, inputs);
    const ret: NodeResult =
      returned !== null && typeof (returned as { then?: unknown }).then === 'function'
        ? await untilAborted(Promise.resolve(returned), opts.signal)
        : (returned as NodeResult);
    if (ret === null || typeof ret !== 'object' || !Array.isArray((ret as NodeResult).outputs)) {
      throw new Error(runErrors.notAResult(def.id));
    }
    if (ret.outputs.length !== def.outputs.length) throw new Error(runErrors.wrongOutputCount(def.id, ret.outputs.length, def.outputs.length));
    return ret;
  }

  private reportUi(id: string, ui: UiOutput, promptId: string, result: ExecutionResult, emit: (e: ExecutionEvent) => void): void {
    result.outputs[id] = ui;
    emit({ type: 'executed', data: { node: id, display_node: id, output: ui, prompt_id: promptId } });
  }

  private recordFailure(
    id: string,
    classType: string,
    error: unknown,
    inputs: Record<string, unknown>,
    result: ExecutionResult,
    outcomes: Map<string, Outcome>,
  ): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.logger.error(`[engine] node #${id} (${classType}) failed: ${err.message}`, err);
    const failure: NodeFailure = {
      node_id: id,
      node_type: classType,
      message: err.message || `${err.name} without a message`,
      exception_type: err.name || 'Error',
      inputs: summariseInputs(inputs),
    };
    result.failures.push(failure);
    outcomes.set(id, { kind: 'failed', root: id });
  }
}

const neverAborted = new AbortController().signal;

/** The prompt itself when every node has an inputs object (validated prompts do), else a patched copy. */
function withInputObjects(prompt: Prompt): Prompt {
  const broken = Object.keys(prompt).filter((id) => prompt[id].inputs === null || typeof prompt[id].inputs !== 'object');
  if (broken.length === 0) return prompt;
  const copy: Prompt = { ...prompt };
  for (const id of broken) copy[id] = { ...prompt[id], inputs: {} };
  return copy;
}

/** The node's input values: links replaced by upstream outputs, literal lists unwrapped; a string on error. */
function resolveInputs(id: string, raw: Record<string, unknown>, def: NodeDefinition, outcomes: Map<string, Outcome>): NodeInputs | string {
  const inputs: NodeInputs = {};
  const declared = def.inputs.optional ? { ...def.inputs.required, ...def.inputs.optional } : def.inputs.required;
  for (const name in declared) {
    if (!(name in raw) || raw[name] === undefined || raw[name] === null) {
      if (name in def.inputs.required) return runErrors.requiredInputMissing(id, def.id, name);
      continue;
    }
    const value = raw[name];
    if (isLinkValue(value)) {
      const source = String(value[0]);
      const outcome = outcomes.get(source);
      if (outcome?.kind !== 'done') return runErrors.missingUpstream(id, name, source);
      if (value[1] < 0 || value[1] >= outcome.outputs.length) return runErrors.badOutputIndex(id, name, source, value[1]);
      inputs[name] = outcome.outputs[value[1]];
    } else {
      inputs[name] = unwrapLiteral(value);
    }
  }
  return inputs;
}

/** Settles with the node's promise, or rejects as soon as the signal aborts (a node that ignores it is left behind). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new InterruptedError());
    if (signal.aborted) {
      work.catch(() => undefined);
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
