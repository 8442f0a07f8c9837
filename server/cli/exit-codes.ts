// What the CLI's exit status means, so scripts can react without parsing messages.

export const EXIT = {
  /** Everything requested ran and its outputs were written. */
  ok: 0,
  /** A node failed while running (the message names it). */
  executionError: 1,
  /** The command line, the workflow file or the graph is invalid (validation errors are listed). */
  invalidInput: 2,
  /** A model bundle is missing, corrupt, mismatched or cannot be loaded on the chosen device. */
  modelProblem: 3,
  /** Interrupted by Ctrl-C (SIGINT) or SIGTERM; the running node stopped within one step. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure with the exit code it maps to and a message for the person at the terminal. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly code: ExitCode,
  ) {
    super(message);
  }
}

export const EXIT_CODES_HELP = `Exit codes:
  0    ok: every output ran and was written
  1    execution error: a node failed while running
  2    invalid input: bad arguments, an unreadable workflow file, or a graph that fails validation
  3    model problem: a bundle is missing, corrupt or mismatched, or the device cannot run it
  130  interrupted (Ctrl-C)`;
