// What the history panel says of a run beside its thumbnails: how it ended, when, how long it took, what it was
// asked to do (the instructions of its Encode Text nodes) and, for a failure, which node failed and why.
import type { HistoryEntry } from '../api.js';

export interface RunSummary {
  /** success, error or interrupted (ComfyUI stores an interrupt as status 'error' with its own message). */
  outcome: string;
  /** When the run ended (ms since the epoch), from its last status message. */
  endedAt?: number;
  /** From execution_start to the run's last message. */
  durationMs?: number;
  /** The distinct instructions of the prompt's Encode Text nodes, in node order. */
  instructions: string[];
  /** "Kontext Denoise #8: <message>" for a failed run. */
  failure?: string;
}

function timestampOf(message: [string, unknown] | undefined): number | undefined {
  const t = (message?.[1] as { timestamp?: unknown } | undefined)?.timestamp;
  return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
}

/** Reads a history entry; tolerates entries written by other ComfyUI servers (missing fields stay undefined). */
export function summariseRun(entry: Pick<HistoryEntry, 'prompt' | 'status'>): RunSummary {
  const messages = Array.isArray(entry.status?.messages) ? entry.status.messages : [];
  const find = (type: string) => messages.find(([t]) => t === type);
  const interrupted = find('execution_interrupted');
  const error = find('execution_error')?.[1] as { exception_message?: unknown; node_id?: unknown; node_type?: unknown } | undefined;
  const outcome = interrupted && !error ? 'interrupted' : entry.status?.status_str ?? 'unknown';
  const started = timestampOf(find('execution_start'));
  const endedAt = timestampOf(messages[messages.length - 1]);
  const instructions = Object.keys(entry.prompt ?? {})
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    .map((id) => entry.prompt[id]!)
    .filter((node) => node.class_type === 'KontextTextEncode' && typeof node.inputs?.instruction === 'string')
    .map((node) => (node.inputs.instruction as string).trim())
    .filter((text, i, all) => text && all.indexOf(text) === i);
  let failure: string | undefined;
  if (error) {
    const where = typeof error.node_type === 'string' && error.node_type ? `${error.node_type}${error.node_id != null ? ` #${String(error.node_id)}` : ''}: ` : '';
    failure = `${where}${typeof error.exception_message === 'string' ? error.exception_message : 'failed'}`;
  }
  return { outcome, endedAt, durationMs: started !== undefined && endedAt !== undefined ? Math.max(0, endedAt - started) : undefined, instructions, failure };
}

/** 0.4 s, 12 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
