// One discriminated union of execution events, shared by the executor, the socket.io fan-out, the ComfyUI /ws
// bridge and the client. Payloads are ComfyUI's, field for field (see shared/design/COMFY_API.md).
import type { PreviewImage, UiOutput } from './node-definition.js';

export interface ExecutionStart { type: 'execution_start'; data: { prompt_id: string; timestamp: number } }
export interface ExecutionCached { type: 'execution_cached'; data: { nodes: string[]; prompt_id: string; timestamp: number } }
export interface Executing { type: 'executing'; data: { node: string | null; display_node?: string; prompt_id: string } }
export interface Progress { type: 'progress'; data: { value: number; max: number; prompt_id: string; node: string } }
export interface Executed {
  type: 'executed';
  data: { node: string; display_node: string; output: UiOutput; prompt_id: string };
}
export interface ExecutionSuccess { type: 'execution_success'; data: { prompt_id: string; timestamp: number } }
export interface ExecutionError {
  type: 'execution_error';
  data: {
    prompt_id: string;
    node_id: string;
    node_type: string;
    executed: string[];
    exception_message: string;
    exception_type: string;
    /** Always empty towards clients: stacks stay in server logs. */
    traceback: string[];
    current_inputs: Record<string, unknown>;
    current_outputs: Record<string, unknown>;
    timestamp: number;
  };
}
export interface ExecutionInterrupted {
  type: 'execution_interrupted';
  data: { prompt_id: string; node_id: string; node_type: string; executed: string[]; timestamp: number };
}
/** A per-step preview; the transports turn it into binary frames (type 1, or type 4 with metadata). */
export interface PreviewEvent {
  type: 'preview';
  data: { prompt_id: string; node_id: string; display_node_id: string; image: PreviewImage };
}

export type ExecutionEvent =
  | ExecutionStart
  | ExecutionCached
  | Executing
  | Progress
  | Executed
  | ExecutionSuccess
  | ExecutionError
  | ExecutionInterrupted
  | PreviewEvent;

export type ExecutionEventType = ExecutionEvent['type'];

/** Queue status, broadcast whenever the queue changes. */
export interface StatusEvent {
  type: 'status';
  data: { status: { exec_info: { queue_remaining: number } }; sid?: string };
}

export type ServerEvent = ExecutionEvent | StatusEvent;
