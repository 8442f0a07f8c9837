// The UI workflow format (ComfyUI / litegraph, version 0.4) as the converter and migrations see it.

export type WorkflowNodeId = number | string;

export interface WorkflowInputSlot {
  name: string;
  type: string | number | string[];
  link: number | null;
  /** Present when the slot stands for a widget (a widget converted to an input). */
  widget?: { name: string };
  [key: string]: unknown;
}

export interface WorkflowOutputSlot {
  name: string;
  type: string | number | string[];
  links?: number[] | null;
  slot_index?: number;
  [key: string]: unknown;
}

export interface WorkflowNode {
  id: WorkflowNodeId;
  type: string;
  title?: string;
  pos: [number, number];
  size: [number, number];
  flags?: Record<string, unknown>;
  order?: number;
  /** 0 always, 2 muted (dropped), 4 bypassed (rewired around). */
  mode: number;
  inputs?: WorkflowInputSlot[];
  outputs?: WorkflowOutputSlot[];
  properties?: Record<string, unknown>;
  widgets_values?: unknown[] | Record<string, unknown>;
  [key: string]: unknown;
}

/** [link id, origin node id, origin slot, target node id, target slot, type] */
export type WorkflowLink = [number, WorkflowNodeId, number, WorkflowNodeId, number, string | number | string[]];

export interface WorkflowGroup {
  title: string;
  bounding: [number, number, number, number];
  color?: string;
  font_size?: number;
  [key: string]: unknown;
}

export interface Workflow {
  last_node_id: WorkflowNodeId;
  last_link_id: number;
  nodes: WorkflowNode[];
  links: WorkflowLink[];
  groups?: WorkflowGroup[];
  config?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  version: number;
  [key: string]: unknown;
}

/** Node modes that matter to conversion. */
export const NODE_MODE = { always: 0, never: 2, bypass: 4 } as const;

/** Front-end-only node types: they never reach the prompt (reroutes and primitives are resolved away). */
export const VIRTUAL_NODE_TYPES: ReadonlySet<string> = new Set(['Reroute', 'PrimitiveNode', 'Note', 'MarkdownNote']);
