// Past runs with thumbnails of their outputs; clicking one opens the workflow that produced it in a new tab.
import type { ApiClient, HistoryEntry } from '../api.js';
import { h, replaceChildren } from './dom.js';
import { toast } from './toasts.js';

/** The history panel; `open` receives the workflow stored with a run. */
export class HistoryPanel {
  readonly element = h('section', { class: 'kx-history' });
  entries: HistoryEntry[] = [];

  constructor(private readonly api: ApiClient, private readonly open: (workflow: unknown, name: string) => void) {}

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
      const images = Object.values(entry.outputs).flatMap((o) => o.images ?? []).slice(0, 6);
      const workflow = (entry.extraData?.extra_pnginfo as { workflow?: unknown } | undefined)?.workflow;
      const status = entry.status?.status_str ?? 'unknown';
      return h(
        'li',
        { class: `kx-history-item kx-status-${status}`, 'data-prompt-id': entry.promptId, title: workflow ? 'Open the workflow of this run' : 'This run carries no workflow (queued by a script)' },
        h('div', { class: 'kx-row' }, h('span', {}, status), h('button', { class: 'kx-button kx-small', disabled: !workflow, onClick: () => workflow && this.open(workflow, `run ${entry.promptId.slice(0, 8)}`) }, 'Load workflow')),
        h('div', { class: 'kx-thumbs' }, ...images.map((img) => h('img', { src: this.api.viewUrl(img, true), alt: img.filename, loading: 'lazy' }))),
      );
    });
    replaceChildren(this.element, h('div', { class: 'kx-row' }, h('strong', {}, this.entries.length === 1 ? '1 run' : `${this.entries.length} runs`), clear), items.length ? h('ul', { class: 'kx-list' }, ...items) : h('p', { class: 'kx-muted' }, 'No runs yet.'));
  }
}
