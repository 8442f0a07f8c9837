// Workflow files carry a version; these ordered, named migrations bring old files to the current shape
// before they are validated. Each migration is idempotent and says in its name what it fixes.
import { EngineError, errors } from '../errors.js';
import { workflowShapeErrors } from '../schemas.js';
import type { Workflow } from './types.js';

/** The workflow format version this code reads and writes. */
export const CURRENT_WORKFLOW_VERSION = 0.4;

export interface WorkflowMigration {
  name: string;
  /** True when the file needs this migration. */
  applies(workflow: Record<string, unknown>): boolean;
  /** Rewrites the file in place. */
  migrate(workflow: Record<string, unknown>): void;
}

type Json = Record<string, unknown>;
const asArray = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** litegraph 0.7 serialised Float32Arrays as {"0": x, "1": y}; turn such objects into plain arrays. */
function pairObjectToArray(value: unknown, length: number): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const obj = value as Json;
  if (!('0' in obj)) return value;
  return Array.from({ length }, (_, i) => Number(obj[String(i)] ?? 0));
}

function hasPairObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && '0' in (value as Json);
}

/** The ordered list of migrations; append new ones at the end, never reorder or rename shipped ones. */
export const WORKFLOW_MIGRATIONS: readonly WorkflowMigration[] = [
  {
    name: 'add-missing-version',
    applies: (wf) => wf.version === undefined || wf.version === null,
    migrate: (wf) => { wf.version = CURRENT_WORKFLOW_VERSION; },
  },
  {
    name: 'litegraph-0.7-object-sizes',
    applies: (wf) =>
      asArray(wf.nodes).some((n) => hasPairObject(n.pos) || hasPairObject(n.size)) ||
      asArray(wf.groups).some((g) => hasPairObject(g.bounding)),
    migrate: (wf) => {
      for (const n of asArray(wf.nodes)) {
        n.pos = pairObjectToArray(n.pos, 2);
        n.size = pairObjectToArray(n.size, 2);
      }
      for (const g of asArray(wf.groups)) g.bounding = pairObjectToArray(g.bounding, 4);
    },
  },
  {
    name: 'links-objects-to-tuples',
    applies: (wf) => asArray(wf.links).some((l) => !Array.isArray(l) && l !== null && typeof l === 'object'),
    migrate: (wf) => {
      wf.links = asArray(wf.links).map((l) =>
        Array.isArray(l) ? l : [l.id, l.origin_id, l.origin_slot, l.target_id, l.target_slot, l.type ?? '*'],
      );
    },
  },
  {
    name: 'default-node-fields',
    applies: (wf) =>
      asArray(wf.nodes).some((n) => n.mode === undefined || n.pos === undefined || n.size === undefined || n.flags === undefined) ||
      wf.last_node_id === undefined || wf.last_link_id === undefined || wf.links === undefined,
    migrate: (wf) => {
      const nodes = asArray(wf.nodes);
      for (const n of nodes) {
        n.mode ??= 0;
        n.pos ??= [0, 0];
        n.size ??= [200, 100];
        n.flags ??= {};
      }
      wf.links ??= [];
      wf.last_node_id ??= nodes.reduce((m, n) => Math.max(m, Number(n.id) || 0), 0);
      wf.last_link_id ??= asArray(wf.links).reduce((m, l) => Math.max(m, Number((l as unknown as unknown[])[0]) || 0), 0);
    },
  },
  {
    name: 'groups-default-fields',
    applies: (wf) => wf.groups === undefined || asArray(wf.groups).some((g) => g.title === undefined),
    migrate: (wf) => {
      wf.groups ??= [];
      for (const g of asArray(wf.groups)) g.title ??= 'Group';
    },
  },
];

/** Runs the migrations a file needs, on a copy; returns the result and the names applied (in order). Throws EngineError (invalid_workflow) if the input is not an object. */
export function migrateWorkflow(input: unknown): { workflow: Record<string, unknown>; applied: string[] } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new EngineError(errors.invalidWorkflow('expected a JSON object with nodes and links'));
  }
  const workflow = structuredClone(input) as Record<string, unknown>;
  const applied: string[] = [];
  for (const m of WORKFLOW_MIGRATIONS) {
    if (m.applies(workflow)) {
      m.migrate(workflow);
      applied.push(m.name);
    }
  }
  if (typeof workflow.version === 'number' && workflow.version > CURRENT_WORKFLOW_VERSION) {
    throw new EngineError(errors.invalidWorkflow(`workflow version ${workflow.version} is newer than ${CURRENT_WORKFLOW_VERSION}, which this version reads`));
  }
  return { workflow, applied };
}

/** Parses (from text or an object), migrates and validates a workflow. Throws EngineError (invalid_workflow) naming what is wrong and where. */
export function parseWorkflow(input: string | unknown): { workflow: Workflow; applied: string[] } {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new EngineError(errors.invalidWorkflow(`not JSON: ${(e as Error).message}`));
    }
  }
  const { workflow, applied } = migrateWorkflow(raw);
  const problems = workflowShapeErrors(workflow);
  if (problems !== null) throw new EngineError(errors.invalidWorkflow(problems));
  return { workflow: workflow as unknown as Workflow, applied };
}

/** Serialises a workflow as JSON text (sizes are arrays after migration, so litegraph and ComfyUI both load it). */
export function serializeWorkflow(workflow: Workflow, indent?: number): string {
  return JSON.stringify(workflow, null, indent);
}
