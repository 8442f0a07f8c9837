// Past runs: outcome, time, duration, instructions and failure, with thumbnails of their outputs (each opens the
// full image); a run's workflow opens in a new tab, and a sweep in the strength explorer.
import type { ApiClient, HistoryEntry } from '../api.js';
import { h, replaceChildren } from './dom.js';
import { formatDuration, summariseRun } from './history-summary.js';
import { sweepOfHistoryEntry } from '../strength/sweep-collector.js';
import type { ExplorerRun } from './explorer.js';
import { toast } from './toasts.js';

/** Thumbnails shown per run; the rest are counted. */
const THUMBS = 6;

/** The history panel; `open` receives the workflow stored with a run, `explore` the sweep of one. */
export class HistoryPanel {
  readonly element = h('section', { class: 'kx-history' });
  entries: HistoryEntry[] = [];

  constructor(
    private readonly api: ApiClient,
    private readonly open: (workflow: unknown, name: string) => void,
    private readonly explore: (run: ExplorerRun) => void,
  ) {}

  async refresh(): Promise<void> {
    try {
      this.entries = await this.api.getHistory(40);
      this.render();
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  }

  private render(): void {
    const clear = h('button', { class: 'kx-button kx-small', onClick: () => this.api.clearHistory().then(() => this.refresh()).catch((e: Error) => toast(e.message, 'error')) }, 'Clear history');
    const items = this.entries.map((entry) => {
      const images = Object.values(entry.outputs).flatMap((o) => o.images ?? []);
      const shown = images.slice(0, THUMBS);
      const workflow = (entry.extraData?.extra_pnginfo as { workflow?: unknown } | undefined)?.workflow;
      const run = summariseRun(entry);
      const sweep = sweepOfHistoryEntry(entry);
      const when = [run.endedAt !== undefined ? new Date(run.endedAt).toLocaleTimeString() : '', run.durationMs !== undefined ? formatDuration(run.durationMs) : ''].filter(Boolean).join(' · ');
      return h(
        'li',
        { class: `kx-history-item kx-status-${run.outcome}`, 'data-prompt-id': entry.promptId, title: workflow ? 'Open the workflow of this run' : 'This run carries no workflow (queued by a script)' },
        h('div', { class: 'kx-row' },
          h('span', {}, h('strong', { class: 'kx-history-outcome' }, run.outcome), when ? h('span', { class: 'kx-muted kx-history-when' }, ` ${when}`) : ''),
          h('span', { class: 'kx-row' },
            sweep ? h('button', { class: 'kx-button kx-small', title: 'Scrub through this sweep in the strength explorer', onClick: () => this.explore(sweep) }, 'Explore') : '',
            h('button', { class: 'kx-button kx-small', disabled: !workflow, onClick: () => workflow && this.open(workflow, `run ${entry.promptId.slice(0, 8)}`) }, 'Load workflow'))),
        run.instructions.length ? h('div', { class: 'kx-history-instruction', title: run.instructions.join('\n') }, run.instructions.map((t) => `“${t}”`).join(', ')) : '',
        run.failure ? h('div', { class: 'kx-history-failure' }, run.failure) : '',
        h('div', { class: 'kx-thumbs' },
          ...shown.map((img) => h('a', { href: this.api.viewUrl(img), target: '_blank', rel: 'noopener', title: `${img.filename} (opens full size)` }, h('img', { src: this.api.viewUrl(img, true), alt: img.filename, loading: 'lazy' }))),
          images.length > shown.length ? h('span', { class: 'kx-thumbs-more kx-muted' }, `+${images.length - shown.length}`) : ''),
      );
    });
    replaceChildren(this.element, h('div', { class: 'kx-row' }, h('strong', {}, this.entries.length === 1 ? '1 run' : `${this.entries.length} runs`), clear), items.length ? h('ul', { class: 'kx-list' }, ...items) : h('p', { class: 'kx-muted' }, 'No runs yet.'));
  }
}
