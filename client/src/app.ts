// The editor's core: one graph on one canvas, the open workflows (tabs) it shows, undo/redo, queueing prompts and
// mirroring runs onto the nodes. Panels and the toolbar (ui/shell.ts) call into this; tests reach it through
// window.kontinuous.app.
import { LGraph, configureLiteGraph, createCanvas, customiseNodeMenu, frameNodes, sizeCanvas, type LGraphCanvas, type LGraphNode } from './litegraph-adapter.js';
import { ApiClient, ApiError, type ObjectInfo, type PromptRejection } from './api.js';
import { ServerConnection, type ConnectionState } from './connection.js';
import { registerNodeClasses, widgetsOf } from './node-classes.js';
import { viewOf, type NodeView } from './node-state.js';
import { RunTracker } from './execution/tracker.js';
import { installErrorOverlay, refreshNodeState } from './execution/decorations.js';
import { graphToPrompt } from './workflow/to-prompt.js';
import { encodeShareFragment } from './workflow/share-link.js';
import { registerVirtualNodes } from './workflow/virtual-nodes.js';
import { isApiPrompt, loadPromptInto } from './workflow/from-prompt.js';
import { loadWorkflowInto, serialiseGraph, type Workflow } from './workflow/load.js';
import { WorkflowTabs } from './state/tabs.js';
import { snapshotOf } from './state/undo.js';
import { ChangeTracking } from './state/change-tracking.js';
import { applySeedControls } from './widgets/create-widgets.js';
import { maskMenuEntries } from './mask/load-image-mask.js';
import { imageMenuEntries } from './ui/image-menu.js';
import { LiveStrength } from './strength/live.js';
import { isStrengthNode } from './strength/strengths.js';
import { SweepCollector } from './strength/sweep-collector.js';
import type { ExplorerRun } from './ui/explorer.js';
import { toast } from './ui/toasts.js';
import type { Prompt } from '../../server/engine/api.js';

/** Name of the workflow opened when nothing else is (shipped in workflows/). */
export const DEFAULT_WORKFLOW = 'kontinuous-edit';

/** How to queue: at the front (live runs) and how many times. */
export interface QueueOptions {
  front?: boolean;
  batch?: number;
}

/** Listeners the shell registers to redraw itself. */
export interface AppEvents {
  tabsChanged?(): void;
  connection?(state: ConnectionState, reconnected: boolean): void;
  queueChanged?(): void;
  historyChanged?(): void;
  explorer?(run: ExplorerRun): void;
}

/** The editor application. */
export class App {
  readonly api: ApiClient;
  readonly graph = new LGraph();
  canvas!: LGraphCanvas;
  readonly tabs = new WorkflowTabs();
  readonly tracker: RunTracker;
  readonly connection: ServerConnection;
  readonly live: LiveStrength;
  objectInfo: ObjectInfo = {};
  events: AppEvents = {};
  connectionState: ConnectionState = 'connecting';
  /** Undo snapshots and autosave; the undo/redo/checkpoint methods below hand over to it. */
  private readonly changes = new ChangeTracking(this, () => this.markLiveNodes());
  /** Runs this page queued, gathered for the strength explorer. */
  private readonly sweeps = new SweepCollector();

  constructor(base = '') {
    this.api = new ApiClient(base);
    this.tracker = new RunTracker(this.api, () => this.graph, () => this.tabs.current?.id);
    this.connection = new ServerConnection({
      event: (event) => this.tracker.handle(event),
      preview: (frame) => this.tracker.preview(frame),
      state: (state, reconnected) => this.onConnection(state, reconnected),
    });
    this.live = new LiveStrength({
      queueFront: () => this.queue({ front: true }).then((ids) => ids[0] ?? null),
      cancelPending: (id) => this.api.deleteQueued([id]).then(() => undefined),
    });
    this.tracker.listen({
      started: (id) => {
        this.live.started(id);
        this.events.queueChanged?.();
      },
      queueChanged: () => this.events.queueChanged?.(),
      executed: (promptId, _nodeId, images, output) => this.sweeps.executed(promptId, images, output),
      finished: (promptId, status, message) => this.onFinished(promptId, status, message),
    });
  }

  /** Builds the canvas in `element`, loads node classes and the first workflow, then connects the socket. */
  async start(element: HTMLCanvasElement, initial?: { workflow: unknown; name: string }): Promise<void> {
    configureLiteGraph();
    this.canvas = createCanvas(element, this.graph);
    const host = element.parentElement;
    if (host) sizeCanvas(this.canvas, host.clientWidth, host.clientHeight);
    installErrorOverlay(this.canvas);
    customiseNodeMenu(this.canvas, (node) => [
      ...maskMenuEntries(node),
      ...imageMenuEntries(this, node),
      { content: node.mode === 4 ? 'Stop bypassing (Ctrl+B)' : 'Bypass (Ctrl+B)', callback: () => this.toggleMode([node], 4) },
      { content: node.mode === 2 ? 'Unmute (Ctrl+M)' : 'Mute (Ctrl+M)', callback: () => this.toggleMode([node], 2) },
    ]);
    this.changes.install();
    // Animated outputs (Strength Animation) play on the canvas: redraw about 12 times a second while one is shown.
    setInterval(() => {
      if (this.graph.nodes.some((n) => viewOf(n).animated && viewOf(n).imageElements.length)) this.canvas.setDirty(true, false);
    }, 80);
    await this.loadNodeClasses();
    if (initial) this.openWorkflow(initial.workflow, initial.name);
    else if (this.tabs.restore()) this.showTab(this.tabs.active, false);
    else await this.openDefault();
    this.connection.connect(this.api.base || undefined, this.api.token);
  }

  /** Fetches /object_info (retrying while the server is away) and registers node classes from it. */
  async loadNodeClasses(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.objectInfo = await this.api.getObjectInfo();
        break;
      } catch (error) {
        if (attempt === 0) toast(`Waiting for the server: ${(error as Error).message}`, 'error');
        await new Promise((r) => setTimeout(r, Math.min(2000, 250 * (attempt + 1))));
      }
    }
    const host = {
      api: this.api,
      canvas: () => this.canvas,
      changed: (node: LGraphNode) => this.nodeChanged(node),
      notifyError: (message: string) => toast(message, 'error'),
    };
    registerVirtualNodes(host);
    registerNodeClasses(this.objectInfo, host);
  }

  /** Opens the shipped default workflow in a new tab. */
  async openDefault(): Promise<void> {
    try {
      const workflow = await this.api.getWorkflow(DEFAULT_WORKFLOW, 'template');
      const { unwrap } = await import('./ui/library-panel.js');
      this.openWorkflow(unwrap(workflow), DEFAULT_WORKFLOW);
    } catch (error) {
      toast(`The default workflow could not be loaded (${(error as Error).message}); starting with an empty graph.`, 'error');
      this.openWorkflow({ nodes: [], links: [], version: 0.4 }, 'untitled');
    }
  }

  /** Opens a workflow in a new tab; invalid files are reported, never half-loaded. Returns false on failure. */
  openWorkflow(workflow: unknown, name: string): boolean {
    if (isApiPrompt(workflow)) return this.openPrompt(workflow, name);
    const probe = new LGraph();
    try {
      loadWorkflowInto(probe, workflow);
    } catch (error) {
      toast(`Cannot open "${name}": ${(error as Error).message}`, 'error');
      return false;
    }
    this.saveActiveTab(false);
    this.tabs.open(name, workflow);
    this.showTab(this.tabs.active, true);
    return true;
  }

  /** Opens an API-format prompt as a new tab, laid out by dependency depth. Returns false when it cannot. */
  openPrompt(prompt: Parameters<typeof loadPromptInto>[1], name: string): boolean {
    const probe = new LGraph();
    try {
      const missing = loadPromptInto(probe, prompt);
      if (missing.length) toast(`Left out of "${name}": node types this server does not have (${missing.join(', ')}).`, 'error');
    } catch (error) {
      toast(`Cannot open "${name}": ${(error as Error).message}`, 'error');
      return false;
    }
    return this.openWorkflow(serialiseGraph(probe), name);
  }

  /** Puts tab `index` on the canvas. */
  showTab(index: number, fitView: boolean): void {
    const tab = this.tabs.select(index);
    if (!tab) return;
    this.changes.whileRestoring(() => {
      const missing = loadWorkflowInto(this.graph, tab.workflow);
      if (missing.length) toast(`Missing node types shown as placeholders: ${missing.join(', ')}. The rest of the graph works.`, 'error');
      for (const node of this.graph.nodes) refreshNodeState(node);
      this.markLiveNodes();
      const ds = (tab.workflow as Workflow).extra?.ds as { scale?: number; offset?: [number, number] } | undefined;
      // A newly opened workflow is framed to fit this window; a tab coming back keeps the view it had.
      if (fitView || !ds?.offset || !ds.scale) this.fitView();
      else {
        this.canvas.ds.scale = ds.scale;
        this.canvas.ds.offset = [...ds.offset] as [number, number];
      }
      tab.history.reset(snapshotOf(serialiseGraph(this.graph)));
    });
    this.canvas.setDirty(true, true);
    this.events.tabsChanged?.();
  }

  /** Frames all nodes on the canvas. */
  fitView(): void {
    frameNodes(this.canvas, this.graph.nodes);
  }

  selectTab(index: number): void {
    if (index === this.tabs.active) return;
    this.saveActiveTab(false);
    this.showTab(index, false);
  }

  closeTab(index: number): void {
    if (index === this.tabs.active) {
      this.tabs.close(index);
      if (this.tabs.tabs.length) this.showTab(this.tabs.active, false);
      else void this.openDefault();
    } else {
      this.saveActiveTab(false);
      this.tabs.close(index);
    }
    this.events.tabsChanged?.();
  }

  /** The active graph as a workflow object. */
  workflow(): Workflow {
    return serialiseGraph(this.graph);
  }

  private saveActiveTab(edited: boolean): void {
    if (!this.tabs.current) return;
    const error = this.tabs.update(this.workflow(), edited);
    if (typeof error === 'string') toast(error, 'error');
  }

  // --- change tracking: undo snapshots and autosave (state/change-tracking.ts) ---------------------------------

  /** A widget or a file changed on a node: checkpoint, and run live if it is a strength node. */
  nodeChanged(node: LGraphNode): void {
    this.scheduleCheckpoint();
    if (isStrengthNode(node)) this.live.changed(node);
  }

  /** Records an undo step (and autosaves) after the current gesture, once. */
  scheduleCheckpoint(): void {
    this.changes.schedule();
  }

  /** Records an undo step now if the graph changed; returns whether it did. */
  checkpoint(): boolean {
    return this.changes.checkpoint();
  }

  undo(): boolean {
    return this.changes.undo();
  }

  redo(): boolean {
    return this.changes.redo();
  }

  // --- running ------------------------------------------------------------------------------------------------

  /** Queues the active graph `batch` times; returns the prompt ids. Validation errors are shown on their nodes. */
  async queue(options: QueueOptions = {}): Promise<string[]> {
    const ids: string[] = [];
    const batch = Math.max(1, Math.min(100, Math.round(options.batch ?? 1)));
    for (let i = 0; i < batch; i++) {
      const { prompt, skipped } = graphToPrompt(this.graph);
      const skippedIds = Object.keys(skipped);
      if (skippedIds.length && i === 0) toast(`Left out of this run: ${skippedIds.map((id) => `node ${id} (${skipped[id]})`).join('; ')}`, 'error');
      this.tracker.clearNodeStates();
      try {
        const answer = await this.api.queuePrompt(prompt, { clientId: this.connection.clientId, workflow: this.workflow(), front: options.front });
        this.tracker.own(answer.prompt_id, this.tabs.current?.id ?? '');
        this.sweeps.queued(answer.prompt_id, prompt);
        ids.push(answer.prompt_id);
        if (answer.node_errors && Object.keys(answer.node_errors).length) this.tracker.showValidationErrors(answer.node_errors);
      } catch (error) {
        this.reportQueueError(error);
        break;
      }
      for (const node of this.graph.nodes) applySeedControls(node);
    }
    this.scheduleCheckpoint();
    this.events.queueChanged?.();
    return ids;
  }

  private reportQueueError(error: unknown): void {
    if (error instanceof ApiError && error.status === 400 && error.body && typeof error.body === 'object') {
      const rejection = error.body as PromptRejection;
      const shown = this.tracker.showValidationErrors(rejection.node_errors ?? {});
      const message = (rejection.error?.message ?? 'The prompt is invalid').replace(/([^.!?])$/, '$1.');
      toast(shown ? `${message} The nodes with problems are marked in red.` : `${message} ${rejection.error?.details ?? ''}`, 'error');
      return;
    }
    toast((error as Error).message, 'error');
  }

  private onFinished(promptId: string, status: string, message?: string): void {
    if (status === 'error' && message) toast(message, 'error');
    if (status === 'interrupted') toast('Run interrupted.', 'info');
    const sweep = this.sweeps.finished(promptId, status === 'success');
    if (sweep) this.events.explorer?.(sweep);
    this.events.queueChanged?.();
    this.events.historyChanged?.();
  }

  private onConnection(state: ConnectionState, reconnected: boolean): void {
    this.connectionState = state;
    if (state === 'connected' && reconnected) {
      toast('Reconnected to the server.', 'success');
      // A restarted server may have a different node set; the queue and history are re-read either way.
      void this.api.getObjectInfo().then((info) => {
        if (JSON.stringify(Object.keys(info).sort()) !== JSON.stringify(Object.keys(this.objectInfo).sort())) {
          this.objectInfo = info;
          toast('The server has a different set of nodes now; reopen the tab to use them.', 'info');
        }
      }).catch(() => undefined);
    }
    this.events.connection?.(state, reconnected);
    if (state === 'connected') {
      this.events.queueChanged?.();
      this.events.historyChanged?.();
    }
  }

  /** A link that opens the active workflow in any browser (the workflow rides in the URL fragment). */
  async shareLink(): Promise<string> {
    return `${location.origin}${location.pathname}${await encodeShareFragment(this.workflow())}`;
  }

  /** The API-format prompt of the active graph (for scripts). */
  exportPrompt(): Prompt {
    return graphToPrompt(this.graph).prompt;
  }

  /** What the editor shows on a node (images, error, running, cached); tests read it. */
  nodeView(nodeId: number | string): NodeView | undefined {
    const node = this.graph.getNodeById(nodeId as never) ?? this.graph.getNodeById(Number(nodeId) as never);
    return node ? viewOf(node) : undefined;
  }

  /** Toggles nodes between `mode` (2 muted, 4 bypassed) and always; with several nodes, all follow the first. */
  toggleMode(nodes: LGraphNode[], mode: 2 | 4): void {
    if (!nodes.length) return;
    const next = nodes[0]!.mode === mode ? 0 : mode;
    for (const node of nodes) node.mode = next;
    this.canvas.setDirty(true, true);
    this.scheduleCheckpoint();
  }

  /** The nodes selected on the canvas. */
  selectedNodes(): LGraphNode[] {
    return Object.values(this.canvas.selected_nodes ?? {});
  }

  /** Turns live strength on or off; strength nodes show a LIVE badge while it is on. */
  setLive(enabled: boolean): void {
    this.live.enabled = enabled;
    this.markLiveNodes();
  }

  private markLiveNodes(): void {
    for (const node of this.strengthNodes()) {
      viewOf(node).live = this.live.enabled;
      refreshNodeState(node);
    }
  }

  /** The strength nodes of the active graph. */
  strengthNodes(): LGraphNode[] {
    return this.graph.nodes.filter(isStrengthNode);
  }

  /** Sets a widget by node id and name as a user would (checkpoint, live run); throws if either is unknown. */
  setWidget(nodeId: number | string, name: string, value: unknown): void {
    const node = this.graph.getNodeById(nodeId as never) ?? this.graph.getNodeById(Number(nodeId) as never);
    if (!node) throw new Error(`no node ${nodeId} in the graph`);
    const widget = widgetsOf(node).find((w) => w.name === name);
    if (!widget) throw new Error(`node ${nodeId} (${node.type}) has no widget "${name}"`);
    widget.value = value;
    widget.callback?.(value);
    this.nodeChanged(node);
    this.canvas.setDirty(true, true);
  }
}
