// The queue as the server has it: the running prompt (interrupt), pending prompts (cancel one, clear all).
// Refreshed on every `status` event and after reconnecting, so it always shows the server's truth.
import type { ApiClient, QueueState } from '../api.js';
import { h, replaceChildren } from './dom.js';
import { toast } from './toasts.js';

function describe(prompt: Record<string, { class_type: string }>): string {
  const outputs = Object.values(prompt).filter((n) => /Save|Preview|Grid|Animation/.test(n.class_type)).length;
  return `${Object.keys(prompt).length} nodes, ${outputs} outputs`;
}

/** The queue panel. */
export class QueuePanel {
  readonly element = h('section', { class: 'kx-queue' });
  state: QueueState = { running: [], pending: [] };

  constructor(private readonly api: ApiClient) {}

  /** Fetches /queue and redraws; errors go to a toast (the socket banner already says when the server is away). */
  async refresh(): Promise<void> {
    try {
      this.state = await this.api.getQueue();
      this.render();
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  }

  private render(): void {
    const { running, pending } = this.state;
    const act = (label: string, fn: () => Promise<unknown>) => h('button', { class: 'kx-button kx-small', onClick: () => fn().then(() => this.refresh()).catch((e: Error) => toast(e.message, 'error')) }, label);
    replaceChildren(
      this.element,
      h('div', { class: 'kx-row' }, h('strong', {}, `Running ${running.length} · Pending ${pending.length}`), act('Interrupt', () => this.api.interrupt()), act('Clear pending', () => this.api.clearQueue())),
      h('h4', {}, 'Running'),
      running.length ? h('ul', { class: 'kx-list' }, ...running.map((item) => h('li', { class: 'kx-queue-running', 'data-prompt-id': item.promptId }, h('span', {}, `#${item.number} ${describe(item.prompt)}`), act('Stop', () => this.api.interrupt(item.promptId))))) : h('p', { class: 'kx-muted' }, 'Nothing running.'),
      h('h4', {}, 'Pending'),
      pending.length ? h('ul', { class: 'kx-list' }, ...pending.map((item) => h('li', { class: 'kx-queue-pending', 'data-prompt-id': item.promptId }, h('span', {}, `#${item.number} ${describe(item.prompt)}`), act('Cancel', () => this.api.deleteQueued([item.promptId]))))) : h('p', { class: 'kx-muted' }, 'Nothing waiting.'),
    );
  }
}
