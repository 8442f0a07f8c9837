// Workflow JSON (UI format 0.4) in and out of the live graph. Loading tolerates what other tools write: sizes saved
// as {"0":w,"1":h} by litegraph.js 0.7, missing fields, and node types this server does not have (those become
// clearly marked placeholders that keep their data, so saving the workflow again loses nothing).
import { LGraph, LiteGraph, type LGraphNode } from '../litegraph-adapter.js';
import { viewOf } from '../node-state.js';
import { isApiPrompt } from './from-prompt.js';

/** A UI-format workflow as saved to JSON. */
export interface Workflow {
  last_node_id?: number;
  last_link_id?: number;
  nodes: Array<Record<string, unknown> & { id: number | string; type: string }>;
  links: unknown[];
  groups?: unknown[];
  config?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  version?: number;
  [key: string]: unknown;
}

/** A workflow that cannot be read; the message says what is wrong with it. */
export class WorkflowFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowFormatError';
  }
}

function toPair(value: unknown, fallback: [number, number]): [number, number] {
  if (Array.isArray(value)) return [Number(value[0] ?? fallback[0]), Number(value[1] ?? fallback[1])];
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return [Number(o['0'] ?? fallback[0]), Number(o['1'] ?? fallback[1])];
  }
  return fallback;
}

/** Checks the overall shape and normalises old quirks; throws WorkflowFormatError naming what is wrong. */
export function normaliseWorkflow(raw: unknown): Workflow {
  if (!raw || typeof raw !== 'object') throw new WorkflowFormatError('the file does not contain a JSON object');
  const data = structuredClone(raw) as Workflow;
  if (isApiPrompt(data)) throw new WorkflowFormatError('this is an API-format prompt, not a workflow (open it with openPrompt)');
  if (!Array.isArray(data.nodes)) throw new WorkflowFormatError('the workflow has no "nodes" list');
  if (!Array.isArray(data.links)) data.links = [];
  data.nodes.forEach((node, i) => {
    if (node.id == null || typeof node.type !== 'string') throw new WorkflowFormatError(`node #${i + 1} has no id or no type`);
    node.pos = toPair(node.pos, [40 * i, 40 * i]);
    node.size = toPair(node.size, [240, 120]);
    node.flags ??= {};
    node.mode ??= 0;
  });
  data.groups = (data.groups ?? []).map((group) => {
    const g = group as Record<string, unknown>;
    if (!Array.isArray(g.bounding)) g.bounding = [0, 0, 300, 200];
    return g;
  });
  data.version ??= 0.4;
  return data;
}

/** Marks the nodes of unknown types as placeholders; returns their types. */
export function markPlaceholders(graph: LGraph): string[] {
  const missing = new Set<string>();
  for (const node of graph.nodes) {
    if (LiteGraph.registered_node_types[node.type ?? '']) continue;
    const view = viewOf(node);
    view.missingType = node.type ?? '?';
    view.error = `Missing node type "${node.type}": this server does not provide it. The node is kept as it was; the rest of the graph still runs.`;
    node.color = '#6e1b1b';
    node.bgcolor = '#3a1414';
    missing.add(view.missingType);
  }
  return [...missing];
}

/** Replaces the graph's contents with a workflow; returns the unknown node types it contained. */
export function loadWorkflowInto(graph: LGraph, raw: unknown): string[] {
  const workflow = normaliseWorkflow(raw);
  graph.clear();
  graph.configure(workflow as never);
  return markPlaceholders(graph);
}

/** The graph as a UI-format workflow object (sizes always arrays). */
export function serialiseGraph(graph: LGraph): Workflow {
  const data = JSON.parse(JSON.stringify(graph.serialize())) as Workflow;
  for (const node of data.nodes) node.size = toPair(node.size, [240, 120]);
  return data;
}

/** Finds a node by id in any graph (ids in workflows may be numbers or strings). */
export function nodeById(graph: LGraph, id: string | number): LGraphNode | null {
  return graph.getNodeById(id as never) ?? graph.getNodeById(Number(id) as never);
}

/** A fresh empty graph (tests use it without a DOM). */
export function emptyGraph(): LGraph {
  return new LGraph();
}
