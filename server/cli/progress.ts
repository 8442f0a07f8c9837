// The CLI's view of a run on stderr: a live bar for the node that reports progress (the denoise steps), one line
// per node started, and nothing at all with --quiet. On a terminal the bar redraws in place; in a log file it
// prints a line at each quarter so logs stay short.
import type { ExecutionEvent, Prompt } from '../engine/index.js';

const BAR_WIDTH = 24;

export class ProgressReporter {
  private readonly tty: boolean;
  private lastQuarter = -1;
  private barShown = false;
  private readonly started = performance.now();

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly prompt: Prompt,
    private readonly enabled: boolean,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  private title(id: string): string {
    const node = this.prompt[id];
    return node ? `${node._meta?.title ?? node.class_type} (#${id})` : `#${id}`;
  }

  private elapsed(): string {
    return `${((performance.now() - this.started) / 1000).toFixed(1)}s`;
  }

  private line(text: string): void {
    if (this.barShown) {
      this.stream.write('\n');
      this.barShown = false;
    }
    this.stream.write(`${text}\n`);
  }

  /** Feeds one engine event; never throws (a broken pipe must not fail the run). */
  onEvent(event: ExecutionEvent): void {
    if (!this.enabled) return;
    try {
      switch (event.type) {
        case 'execution_cached':
          if (event.data.nodes.length > 0) this.line(`cached: ${event.data.nodes.map((id) => this.title(id)).join(', ')}`);
          break;
        case 'executing':
          if (event.data.node !== null) {
            this.lastQuarter = -1;
            this.line(`[${this.elapsed()}] ${this.title(event.data.node)}`);
          }
          break;
        case 'progress': {
          const { value, max } = event.data;
          const fraction = max > 0 ? Math.min(1, value / max) : 1;
          const filled = Math.round(fraction * BAR_WIDTH);
          const bar = `  [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${value}/${max}`;
          if (this.tty) {
            this.stream.write(`\r${bar} ${this.elapsed()}`);
            this.barShown = true;
          } else {
            const quarter = Math.floor(fraction * 4);
            if (quarter !== this.lastQuarter) {
              this.lastQuarter = quarter;
              this.line(bar);
            }
          }
          break;
        }
        case 'execution_error':
          this.line(`error in ${this.title(event.data.node_id)}: ${event.data.exception_message}`);
          break;
        case 'execution_interrupted':
          this.line(`interrupted in ${this.title(event.data.node_id)}`);
          break;
        default:
          break;
      }
    } catch {
      // Reporting is best effort.
    }
  }

  /** Ends a bar line left open on a terminal. */
  finish(): void {
    if (this.barShown) this.stream.write('\n');
    this.barShown = false;
  }
}
