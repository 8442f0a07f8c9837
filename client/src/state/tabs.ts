// Several open workflows, one tab each, autosaved to localStorage so a reload (or a crash) restores every tab with
// its unsaved edits. The graph on the canvas belongs to the active tab; the others are kept as JSON.
import { UndoHistory, snapshotOf } from './undo.js';

/** One tab: its workflow as last saved from the canvas, and its own undo history. */
export interface OpenWorkflow {
  id: string;
  name: string;
  workflow: unknown;
  /** Set when edited since it was opened or saved. */
  modified: boolean;
  history: UndoHistory;
}

interface StoredTabs {
  active: number;
  tabs: Array<{ id: string; name: string; workflow: unknown; modified: boolean }>;
}

const STORAGE_KEY = 'kontinuous.tabs.v1';

/** The open workflows and which one is on the canvas. */
export class WorkflowTabs {
  tabs: OpenWorkflow[] = [];
  active = -1;

  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {}

  /** Restores the tabs saved by an earlier page; returns false when there were none. */
  restore(): boolean {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY);
      if (!raw) return false;
      const stored = JSON.parse(raw) as StoredTabs;
      this.tabs = stored.tabs.map((t) => ({ ...t, history: new UndoHistory(snapshotOf(t.workflow)) }));
      this.active = Math.min(Math.max(0, stored.active), this.tabs.length - 1);
      return this.tabs.length > 0;
    } catch {
      return false;
    }
  }

  /** Opens a workflow in a new tab and makes it active. */
  open(name: string, workflow: unknown): OpenWorkflow {
    const tab: OpenWorkflow = { id: Math.random().toString(36).slice(2, 10), name, workflow, modified: false, history: new UndoHistory(snapshotOf(workflow)) };
    this.tabs.push(tab);
    this.active = this.tabs.length - 1;
    this.persist();
    return tab;
  }

  get current(): OpenWorkflow | undefined {
    return this.tabs[this.active];
  }

  /** Stores the active tab's graph (after each edit); marks it modified when `edited`. */
  update(workflow: unknown, edited: boolean): void {
    const tab = this.current;
    if (!tab) return;
    tab.workflow = workflow;
    if (edited) tab.modified = true;
    this.persist();
  }

  close(index: number): void {
    this.tabs.splice(index, 1);
    if (this.active >= this.tabs.length) this.active = this.tabs.length - 1;
    else if (index < this.active) this.active -= 1;
    this.persist();
  }

  select(index: number): OpenWorkflow | undefined {
    if (index < 0 || index >= this.tabs.length) return undefined;
    this.active = index;
    this.persist();
    return this.current;
  }

  /** Writes every tab to storage; a full storage is reported, never thrown at the editor. */
  persist(): string | null {
    if (!this.storage) return null;
    const stored: StoredTabs = { active: this.active, tabs: this.tabs.map(({ id, name, workflow, modified }) => ({ id, name, workflow, modified })) };
    try {
      this.storage.setItem(STORAGE_KEY, JSON.stringify(stored));
      return null;
    } catch (error) {
      return `Autosave failed: ${(error as Error).message}`;
    }
  }
}
