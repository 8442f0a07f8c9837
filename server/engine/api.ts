// The engine's public surface, as the server, the CLI and the tests use it. Implementations live beside this
// file; this module only declares shapes so that every caller codes against one contract.
import type { ExecutionEvent } from './events.js';
import type { UiOutput } from './node-definition.js';

/** A link to another node's output: [source node id, output index]. */
export type Link = [string, number];

export interface PromptNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

/** ComfyUI's API ("prompt") format. */
export type Prompt = Record<string, PromptNode>;

/** One error in ComfyUI's shape. */
export interface ComfyError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrors {
  errors: ComfyError[];
  dependent_outputs: string[];
  class_type: string;
}

/** Result of validating a prompt: the ComfyUI 400 body when not ok, the outputs to run when ok. */
export interface ValidationResult {
  ok: boolean;
  /** Present when the prompt as a whole is rejected. */
  error?: ComfyError;
  /** Per-node errors; may be non-empty even when ok (outputs dropped while others still run). */
  node_errors: Record<string, NodeErrors>;
  /** Output node ids that passed validation and will run. */
  outputs: string[];
  /**
   * When ok: the nodes those outputs need, with widget values converted to their declared types, literal
   * lists unwrapped and undeclared inputs left out. Execute this rather than the raw prompt.
   */
  prompt?: Prompt;
}

export interface ExecuteOptions {
  promptId: string;
  /** Output node ids to run (from validation); default: all valid outputs. */
  outputs?: string[];
  extraData?: Record<string, unknown>;
  signal?: AbortSignal;
  emit?: (event: ExecutionEvent) => void;
}

export interface NodeFailure {
  node_id: string;
  node_type: string;
  message: string;
  exception_type: string;
  inputs: Record<string, unknown>;
}

export interface ExecutionResult {
  status: 'success' | 'error' | 'interrupted';
  /** UI outputs of output nodes, by node id (ComfyUI history `outputs`). */
  outputs: Record<string, UiOutput>;
  /** Node ids executed in this run, in order. */
  executed: string[];
  /** Node ids whose result came from the cache. */
  cached: string[];
  /** Nodes that failed (their dependants are skipped; independent branches still ran). */
  failures: NodeFailure[];
  /** Output node ids that could not produce a result, each with the failing ancestor. */
  failedOutputs: Record<string, string>;
  /**
   * The run's execution_* events as [type, data] pairs, as ComfyUI keeps them in history `status.messages`
   * (execution_start, execution_cached, then execution_success / execution_error(s) / execution_interrupted).
   */
  messages: Array<[string, unknown]>;
  /** Milliseconds each executed node's run took, by node id. */
  timings?: Record<string, number>;
}
