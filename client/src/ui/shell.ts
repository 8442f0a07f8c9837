// The page around the canvas: the top bar (tabs, file actions, queue button with batch count, live toggle), the
// sidebar (queue, history, library, strength explorer), the connection banner and keyboard shortcuts.
import type { App } from '../app.js';
import { sizeCanvas } from '../litegraph-adapter.js';
import { h, replaceChildren } from './dom.js';
import { toast } from './toasts.js';
import { QueuePanel } from './queue-panel.js';
import { HistoryPanel } from './history-panel.js';
import { LibraryPanel } from './library-panel.js';
import { StrengthExplorer } from './explorer.js';
import { copyShareLink, exportApiPrompt, installFileHandlers, pickWorkflowFile, saveWorkflowFile, useAsInput } from './files.js';
import { installTooltips } from './tooltips.js';

type PanelName = 'queue' | 'history' | 'library' | 'explorer';

/** The shell's parts that tests and the app reach. */
export interface Shell {
  queuePanel: QueuePanel;
  historyPanel: HistoryPanel;
  libraryPanel: LibraryPanel;
  explorer: StrengthExplorer;
  showPanel(name: PanelName): void;
  /** Fits the canvas to its area (after the app created it). */
  resize(): void;
}

function button(label: string, title: string, onClick: () => void, id?: string): HTMLButtonElement {
  return h('button', { class: 'kx-button', title, id, onClick }, label);
}

/** Builds the page inside `root` around the canvas element and wires it to the app. */
export function buildShell(app: App, root: HTMLElement, canvasElement: HTMLCanvasElement): Shell {
  const queuePanel = new QueuePanel(app.api);
  const historyPanel = new HistoryPanel(app.api, (workflow, name) => app.openWorkflow(workflow, name), (run) => {
    explorer.fill(run);
    showPanel('explorer');
  });
  const libraryPanel = new LibraryPanel(app.api, (workflow, name) => app.openWorkflow(workflow, name));
  const explorer = new StrengthExplorer(app.api, () => showPanel('explorer'), (file) => void useAsInput(app, file));
  const panels: Record<PanelName, HTMLElement> = { queue: queuePanel.element, history: historyPanel.element, library: libraryPanel.element, explorer: explorer.element };
  const panelHost = h('div', { class: 'kx-panel-host' });
  const panelTabs = h('nav', { class: 'kx-panel-tabs' });
  let current: PanelName = 'queue';

  function showPanel(name: PanelName): void {
    current = name;
    replaceChildren(panelHost, panels[name]);
    panelTabs.querySelectorAll('button').forEach((b) => b.classList.toggle('kx-active', b.dataset.panel === name));
    if (name === 'queue') void queuePanel.refresh();
    if (name === 'history') void historyPanel.refresh();
    if (name === 'library') void libraryPanel.refresh();
  }
  for (const name of Object.keys(panels) as PanelName[]) {
    panelTabs.append(h('button', { class: 'kx-panel-tab', 'data-panel': name, onClick: () => showPanel(name) }, name[0]!.toUpperCase() + name.slice(1)));
  }

  const tabBar = h('div', { class: 'kx-tabs', role: 'tablist' });
  const renderTabs = () => {
    replaceChildren(
      tabBar,
      ...app.tabs.tabs.map((tab, i) =>
        h(
          'div',
          { class: `kx-tab${i === app.tabs.active ? ' kx-active' : ''}`, role: 'tab', 'data-tab': String(i), onClick: () => app.selectTab(i) },
          `${tab.name}${tab.modified ? ' •' : ''}`,
          h('span', { class: 'kx-tab-close', title: 'Close tab', onClick: (e: Event) => { e.stopPropagation(); app.closeTab(i); } }, '×'),
        ),
      ),
      h('button', { class: 'kx-tab-new', title: 'New tab with the default workflow', onClick: () => void app.openDefault() }, '+'),
    );
  };

  const batch = h('input', { type: 'number', min: '1', max: '100', value: '1', class: 'kx-batch', id: 'kx-batch', title: 'How many times to queue the graph' });
  const liveToggle = h('input', { type: 'checkbox', id: 'kx-live' });
  liveToggle.addEventListener('change', () => {
    app.setLive(liveToggle.checked);
    toast(liveToggle.checked ? 'Live strength on: moving a Strength slider renders at once.' : 'Live strength off.', 'info');
  });
  const status = h('span', { class: 'kx-connection', id: 'kx-connection' }, 'connecting…');
  const saveToLibrary = async () => {
    const name = window.prompt('Save to the server library as:', app.tabs.current?.name ?? 'my-workflow');
    if (!name) return;
    try {
      await app.api.saveWorkflow(name, app.workflow());
      if (app.tabs.current) app.tabs.current.name = name;
      toast(`Saved "${name}" to the library.`, 'success');
      renderTabs();
      if (current === 'library') void libraryPanel.refresh();
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  };
  const queueNow = () => void app.queue({ batch: Number(batch.value) || 1 });

  const toolbar = h(
    'div',
    { class: 'kx-toolbar' },
    button('Open', 'Open a workflow JSON or a PNG with a workflow (Ctrl+O)', () => pickWorkflowFile(app)),
    button('Save', 'Download the workflow as JSON (Ctrl+S)', () => saveWorkflowFile(app)),
    button('Save to library', 'Save the workflow on the server', () => void saveToLibrary()),
    button('Export API', 'Download the API-format prompt for scripts', () => exportApiPrompt(app)),
    button('Share link', 'Copy a link that opens this graph in another browser', () => void copyShareLink(app)),
    button('Undo', 'Undo (Ctrl+Z)', () => app.undo()),
    button('Redo', 'Redo (Ctrl+Y)', () => app.redo()),
    h('span', { class: 'kx-spacer' }),
    h('label', { class: 'kx-live', title: 'Render as soon as a Strength slider moves (queued at the front)' }, liveToggle, ' Live strength'),
    h('label', { class: 'kx-batch-label' }, 'Batch ', batch),
    h('button', { class: 'kx-button kx-primary', id: 'kx-queue', title: 'Queue the graph (Ctrl+Enter; Ctrl+Shift+Enter queues it first)', onClick: queueNow }, 'Queue'),
    button('Interrupt', 'Stop the running prompt', () => void app.api.interrupt().catch((e: Error) => toast(e.message, 'error'))),
    status,
  );

  const banner = h('div', { class: 'kx-banner', id: 'kx-banner', hidden: true }, 'The server is not reachable. Reconnecting…');
  const header = h('header', { class: 'kx-header' }, h('div', { class: 'kx-brand' }, 'Kontinuous Studio'), tabBar, toolbar);
  const canvasHost = h('main', { class: 'kx-canvas-host' }, canvasElement);
  const sidebar = h('aside', { class: 'kx-sidebar' }, panelTabs, panelHost);
  replaceChildren(root, header, banner, h('div', { class: 'kx-body' }, canvasHost, sidebar));

  app.events = {
    tabsChanged: renderTabs,
    connection: (state) => {
      status.textContent = state;
      status.dataset.state = state;
      banner.hidden = state !== 'disconnected';
    },
    queueChanged: () => {
      if (current === 'queue') void queuePanel.refresh();
    },
    historyChanged: () => {
      if (current === 'history') void historyPanel.refresh();
    },
    explorer: (run) => explorer.fill(run),
  };

  installFileHandlers(app, canvasHost);
  installTooltips(app, canvasElement);
  window.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable) return;
    // A modal (the mask editor) owns the keyboard: Ctrl+Z there must not undo the graph hidden behind it.
    if (document.querySelector('.kx-modal')) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.shiftKey && e.key === 'Enter') void app.queue({ front: true });
    else if (mod && e.key === 'Enter') queueNow();
    else if (mod && !e.shiftKey && e.key.toLowerCase() === 'z') app.undo();
    else if (mod && (e.key.toLowerCase() === 'y' || (e.shiftKey && e.key.toLowerCase() === 'z'))) app.redo();
    else if (mod && e.key.toLowerCase() === 'b') app.toggleMode(app.selectedNodes(), 4);
    else if (mod && e.key.toLowerCase() === 'm') app.toggleMode(app.selectedNodes(), 2);
    else if (mod && e.key.toLowerCase() === 's') saveWorkflowFile(app);
    else if (mod && e.key.toLowerCase() === 'o') pickWorkflowFile(app);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }, true);
  const resize = () => {
    if (app.canvas) sizeCanvas(app.canvas, canvasHost.clientWidth, canvasHost.clientHeight);
  };
  new ResizeObserver(resize).observe(canvasHost);
  showPanel('queue');
  renderTabs();
  return { queuePanel, historyPanel, libraryPanel, explorer, showPanel, resize };
}
