// Change tracking for the editor: after each user gesture the active graph is snapshotted into its tab's undo
// history (and autosaved with the tab); undo and redo put a snapshot back on the canvas. The App owns one and
// delegates its checkpoint/undo/redo methods here.
import type { LGraph, LGraphCanvas, LGraphNode } from '../litegraph-adapter.js';
import { carryViews, viewsById } from '../node-state.js';
import { refreshNodeState } from '../execution/decorations.js';
import { markPlaceholders, type Workflow } from '../workflow/load.js';
import { onAppLayoutChange } from './app-layout.js';
import { snapshotOf } from './undo.js';
import type { WorkflowTabs } from './tabs.js';

/** What change tracking reads from the editor; the App is one (read at each call, so a later canvas is seen). */
export interface ChangeTrackingHost {
  readonly graph: LGraph;
  readonly canvas: LGraphCanvas;
  readonly tabs: WorkflowTabs;
  readonly events: { tabsChanged?(): void };
  workflow(): Workflow;
}

/** Undo snapshots and autosave of the active tab, one step per gesture. */
export class ChangeTracking {
  private checkpointPending = false;
  private pointerDown = false;
  private restoring = false;

  /** `markLiveNodes` re-marks the strength nodes after a restore (their LIVE badge is not in the snapshot). */
  constructor(private readonly host: ChangeTrackingHost, private readonly markLiveNodes: () => void) {}

  /** Listens on the canvas and the graph for gestures that end in a checkpoint; call once the canvas exists. */
  install(): void {
    const el = this.host.canvas.canvas;
    const schedule = () => this.schedule();
    // A drag (a slider, a node) is one undo step: checkpoints wait for the pointer to come up.
    // (Capture phase: litegraph stops these events from reaching later listeners.)
    el.addEventListener('pointerdown', () => (this.pointerDown = true), true);
    window.addEventListener('pointerup', () => {
      this.pointerDown = false;
      schedule();
    }, true);
    window.addEventListener('keyup', schedule);
    const graph = this.host.graph as LGraph & { onNodeAdded?: (n: LGraphNode) => void; onNodeRemoved?: () => void };
    graph.onNodeAdded = (node) => {
      refreshNodeState(node); // its id badge, which `--set <id>.<input>` and the API prompt use
      schedule();
    };
    graph.onNodeRemoved = schedule;
    onAppLayoutChange(() => this.absorb());
  }

  /** Runs `load` (a graph being put on the canvas, not edited) without recording checkpoints. */
  whileRestoring(load: () => void): void {
    this.restoring = true;
    try {
      load();
    } finally {
      this.restoring = false;
    }
  }

  /** Records an undo step (and autosaves) after the current gesture, once. */
  schedule(): void {
    if (this.checkpointPending || this.restoring || this.pointerDown) return;
    this.checkpointPending = true;
    requestAnimationFrame(() => {
      this.checkpointPending = false;
      this.checkpoint();
    });
  }

  /**
   * The editor changed the layout by itself (a node grew to show an image): the current state takes it, with no
   * undo step and no "modified" mark. During a gesture, or with its checkpoint pending, that checkpoint takes it.
   */
  absorb(): void {
    const tab = this.host.tabs.current;
    if (!tab || this.restoring || this.checkpointPending || this.pointerDown) return;
    const workflow = this.host.workflow();
    tab.history.absorb(snapshotOf(workflow));
    this.host.tabs.update(workflow, false);
  }

  /** Records an undo step now if the graph changed; returns whether it did. */
  checkpoint(): boolean {
    const tab = this.host.tabs.current;
    if (!tab || this.restoring) return false;
    const workflow = this.host.workflow();
    const changed = tab.history.checkpoint(snapshotOf(workflow));
    this.host.tabs.update(workflow, changed);
    if (changed) this.host.events.tabsChanged?.();
    return changed;
  }

  /** Puts the previous state back; returns false when there is nothing to undo. */
  undo(): boolean {
    const state = this.host.tabs.current?.history.undo();
    if (!state) return false;
    this.restore(state);
    return true;
  }

  /** Puts the undone state back; returns false when there is nothing to redo. */
  redo(): boolean {
    const state = this.host.tabs.current?.history.redo();
    if (!state) return false;
    this.restore(state);
    return true;
  }

  private restore(state: string): void {
    const { graph, canvas, tabs } = this.host;
    this.whileRestoring(() => {
      const views = viewsById(graph.nodes);
      const ds = { scale: canvas.ds.scale, offset: [...canvas.ds.offset] };
      graph.clear();
      graph.configure(JSON.parse(state));
      markPlaceholders(graph);
      carryViews(views, graph.nodes);
      for (const node of graph.nodes) refreshNodeState(node);
      this.markLiveNodes();
      canvas.ds.scale = ds.scale;
      canvas.ds.offset = ds.offset as [number, number];
      tabs.update(this.host.workflow(), true);
    });
    canvas.setDirty(true, true);
    this.host.events.tabsChanged?.();
  }
}
