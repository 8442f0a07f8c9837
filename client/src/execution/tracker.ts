// Applies execution events to the nodes on the canvas: which node runs, its progress and previews, which nodes
// came from the cache, the images of output nodes, and errors on the node that failed. Events of prompts queued
// from another tab are not drawn on this one (node ids would collide), but are still reported to listeners.
import type { LGraph, LGraphNode } from '../litegraph-adapter.js';
import type { ExecutionEvent, StatusEvent } from '../../../server/engine/events.js';
import type { ApiClient, ImageRef } from '../api.js';
import type { PreviewFrame } from '../connection.js';
import { viewOf } from '../node-state.js';
import { nodeById } from '../workflow/load.js';
import { addImageDisplay, showImages } from '../widgets/image-display.js';
import { growToShowImages } from '../state/app-layout.js';
import { refreshNodeState } from './decorations.js';
import { reportedStrengths } from '../strength/strengths.js';

/** Output images of one run, by node id. */
export type RunOutputs = Record<string, ImageRef[]>;

/** Callbacks for parts of the app that follow runs (live strength, explorer, panels). */
export interface TrackerListener {
  /** A node produced images (live or from the cache). */
  executed?(promptId: string, nodeId: string, images: ImageRef[], output: Record<string, unknown>): void;
  finished?(promptId: string, status: 'success' | 'error' | 'interrupted', message?: string): void;
  queueChanged?(remaining: number): void;
  started?(promptId: string): void;
}

/** Tracks runs and mirrors their state onto the active graph. */
export class RunTracker {
  /** Which open tab queued each prompt. */
  private readonly owners = new Map<string, string>();
  private runningNode?: LGraphNode;
  /** When the running node started, on this page's clock (events arrive in the server's order, at once). */
  private runningSince = 0;
  currentPromptId?: string;
  /** Per-step previews received (shown or not). */
  previewsSeen = 0;
  queueRemaining = 0;
  private readonly listeners: TrackerListener[] = [];

  constructor(private readonly api: ApiClient, private readonly graph: () => LGraph, private readonly activeTab: () => string | undefined) {}

  listen(listener: TrackerListener): void {
    this.listeners.push(listener);
  }

  /** Remembers that a prompt was queued from a tab. */
  own(promptId: string, tabId: string): void {
    this.owners.set(promptId, tabId);
  }

  private mine(promptId: string | undefined): boolean {
    if (!promptId) return false;
    const owner = this.owners.get(promptId);
    return owner === undefined || owner === this.activeTab();
  }

  private node(id: string | null | undefined): LGraphNode | null {
    return id == null ? null : nodeById(this.graph(), id);
  }

  /** Clears run state from every node (before a run starts, or when a tab is opened). */
  clearNodeStates(keepImages = true): void {
    for (const node of this.graph().nodes) {
      const view = viewOf(node);
      view.running = false;
      view.cached = false;
      view.ranMs = undefined;
      view.notice = undefined;
      view.rendered = undefined;
      if (!view.missingType) view.error = undefined;
      view.preview = undefined;
      node.progress = undefined;
      if (!keepImages && !view.info?.input?.required) view.imageElements = [];
      refreshNodeState(node);
    }
  }

  /** Marks the nodes a rejected prompt names (validation errors) with their messages. */
  showValidationErrors(nodeErrors: Record<string, { errors: Array<{ message: string; details?: string }>; class_type?: string }>): number {
    let shown = 0;
    for (const [id, entry] of Object.entries(nodeErrors)) {
      const node = this.node(id);
      if (!node) continue;
      const view = viewOf(node);
      view.error = entry.errors.map((e) => (e.details ? `${e.message}: ${e.details}` : e.message)).join('; ');
      refreshNodeState(node);
      shown += 1;
    }
    return shown;
  }

  private setRunning(node: LGraphNode | null): void {
    const now = performance.now();
    if (this.runningNode) {
      const view = viewOf(this.runningNode);
      view.running = false;
      view.ranMs = now - this.runningSince;
      this.runningNode.progress = undefined;
      refreshNodeState(this.runningNode);
    }
    this.runningNode = node ?? undefined;
    this.runningSince = now;
    if (node) {
      viewOf(node).running = true;
      refreshNodeState(node);
    }
  }

  /** Handles one server event. */
  handle(event: ExecutionEvent | StatusEvent): void {
    switch (event.type) {
      case 'status':
        this.queueRemaining = event.data.status?.exec_info?.queue_remaining ?? 0;
        this.listeners.forEach((l) => l.queueChanged?.(this.queueRemaining));
        return;
      case 'execution_start':
        this.currentPromptId = event.data.prompt_id;
        if (this.mine(event.data.prompt_id)) this.clearNodeStates();
        this.listeners.forEach((l) => l.started?.(event.data.prompt_id));
        return;
      case 'execution_cached':
        if (!this.mine(event.data.prompt_id)) return;
        for (const id of event.data.nodes) {
          const node = this.node(id);
          if (!node) continue;
          viewOf(node).cached = true;
          refreshNodeState(node);
        }
        return;
      case 'executing':
        if (!this.mine(event.data.prompt_id)) return;
        this.setRunning(this.node(event.data.display_node ?? event.data.node));
        return;
      case 'progress': {
        if (!this.mine(event.data.prompt_id)) return;
        const node = this.node(event.data.node);
        if (node) {
          node.progress = event.data.max > 0 ? event.data.value / event.data.max : 0;
          node.setDirtyCanvas(true, false);
        }
        return;
      }
      case 'executed': {
        const images = (event.data.output?.images ?? []) as ImageRef[];
        this.listeners.forEach((l) => l.executed?.(event.data.prompt_id, event.data.display_node ?? event.data.node, images, event.data.output));
        if (!this.mine(event.data.prompt_id)) return;
        const node = this.node(event.data.display_node ?? event.data.node);
        const strengths = reportedStrengths(event.data.output);
        if (node && strengths) {
          viewOf(node).rendered = strengths;
          refreshNodeState(node);
        }
        const notes = event.data.output?.text;
        if (node && Array.isArray(notes) && notes.length > 0) {
          viewOf(node).notice = notes.join(' ');
          refreshNodeState(node);
        }
        if (node && images.length) {
          const view = viewOf(node);
          view.images = images;
          view.animated = (event.data.output?.animated as boolean[] | undefined)?.some(Boolean) ?? false;
          showImages(node, images.map((img) => this.api.viewUrl(img)), view.animated);
        }
        return;
      }
      case 'execution_success':
        this.finish(event.data.prompt_id, 'success');
        return;
      case 'execution_error': {
        if (this.mine(event.data.prompt_id)) {
          const node = this.node(event.data.node_id);
          if (node) {
            viewOf(node).error = `${event.data.exception_type}: ${event.data.exception_message}`;
            refreshNodeState(node);
          }
        }
        this.finish(event.data.prompt_id, 'error', `${event.data.node_type} (node ${event.data.node_id}) failed: ${event.data.exception_message}`);
        return;
      }
      case 'execution_interrupted':
        this.finish(event.data.prompt_id, 'interrupted');
        return;
      case 'preview':
        return;
    }
  }

  private finish(promptId: string, status: 'success' | 'error' | 'interrupted', message?: string): void {
    // The last preview stays on its node (the denoiser shows its final step) until the next run starts.
    if (this.mine(promptId)) this.setRunning(null);
    if (this.currentPromptId === promptId) this.currentPromptId = undefined;
    this.listeners.forEach((l) => l.finished?.(promptId, status, message));
  }

  /** Shows a per-step preview on its node (the running node when the frame names none). */
  preview(frame: PreviewFrame): void {
    this.previewsSeen += 1;
    if (frame.promptId && !this.mine(frame.promptId)) return;
    const node = this.node(frame.nodeId) ?? this.runningNode;
    if (!node) return;
    const view = viewOf(node);
    // Nodes that are not output nodes (the denoiser) get an image area on their first preview.
    if (!(node.widgets ?? []).some((w) => w.name === '$$images')) addImageDisplay(node);
    const url = URL.createObjectURL(frame.blob);
    const img = new Image();
    img.onload = () => {
      if (view.preview?.src.startsWith('blob:')) URL.revokeObjectURL(view.preview.src);
      view.preview = img;
      growToShowImages(node);
      node.setDirtyCanvas(true, true);
    };
    img.src = url;
  }
}
