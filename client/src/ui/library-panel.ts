// The server-side workflow library: shipped templates and workflows saved by users, opened in a new tab.
import type { ApiClient, WorkflowListing } from '../api.js';
import { h, replaceChildren } from './dom.js';
import { toast } from './toasts.js';

/** The library panel; `open` receives a workflow and its name. */
export class LibraryPanel {
  readonly element = h('section', { class: 'kx-library' });
  items: WorkflowListing[] = [];

  constructor(private readonly api: ApiClient, private readonly open: (workflow: unknown, name: string) => void) {}

  async refresh(): Promise<void> {
    try {
      this.items = await this.api.listWorkflows();
      this.render();
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  }

  private render(): void {
    const entry = (item: WorkflowListing) =>
      h(
        'li',
        { class: 'kx-row', 'data-workflow': item.name },
        h('span', { class: 'kx-library-name' }, `${item.name} `, h('small', { class: 'kx-muted' }, item.source),
          typeof item.description === 'string' && h('small', { class: 'kx-library-description' }, item.description)),
        h('button', { class: 'kx-button kx-small', onClick: () => this.api.getWorkflow(item.name, item.source).then((w) => this.open(unwrap(w), item.name)).catch((e: Error) => toast(e.message, 'error')) }, 'Open'),
        item.source !== 'template' && h('button', { class: 'kx-button kx-small', onClick: () => this.api.deleteWorkflow(item.name).then(() => this.refresh()).catch((e: Error) => toast(e.message, 'error')) }, 'Delete'),
      );
    replaceChildren(this.element, this.items.length ? h('ul', { class: 'kx-list' }, ...this.items.map(entry)) : h('p', { class: 'kx-muted' }, 'The library is empty.'));
  }
}

/** The workflow inside a library answer (the server may wrap it with its name). */
export function unwrap(answer: unknown): unknown {
  const a = answer as { workflow?: unknown; nodes?: unknown };
  return a && typeof a === 'object' && !('nodes' in a) && 'workflow' in a ? a.workflow : answer;
}
