// JSON Schemas for the two file formats, compiled once by ajv. They check shape only; meaning (classes,
// links, ranges) is checked by validatePrompt against the registry.
import { Ajv, type ErrorObject } from 'ajv';

/** The prompt (API) format: `{id: {class_type, inputs, _meta?}}`. class_type is checked later for ComfyUI's message. */
export const promptSchema = {
  $id: 'https://kontinuous.studio/schemas/prompt.json',
  title: 'ComfyUI prompt (API format)',
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: {
      class_type: { type: 'string' },
      inputs: { type: 'object' },
      _meta: { type: 'object', properties: { title: { type: 'string' } } },
    },
    required: ['inputs'],
  },
} as const;

const numberPair = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } as const;
const nodeId = { type: ['integer', 'string'] } as const;

/** The UI workflow format 0.4 (after migrations: sizes and positions are arrays, version present). */
export const workflowSchema = {
  $id: 'https://kontinuous.studio/schemas/workflow-0.4.json',
  title: 'ComfyUI UI workflow, version 0.4',
  type: 'object',
  required: ['last_node_id', 'last_link_id', 'nodes', 'links', 'version'],
  properties: {
    id: { type: 'string' },
    revision: { type: 'integer' },
    last_node_id: nodeId,
    last_link_id: { type: 'integer' },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'type', 'pos', 'size', 'mode'],
        properties: {
          id: nodeId,
          type: { type: 'string', minLength: 1 },
          title: { type: 'string' },
          pos: numberPair,
          size: numberPair,
          flags: { type: 'object' },
          order: { type: 'integer' },
          mode: { type: 'integer', minimum: 0, maximum: 4 },
          color: { type: 'string' },
          bgcolor: { type: 'string' },
          inputs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'type'],
              properties: {
                name: { type: 'string' },
                type: { type: ['string', 'integer', 'array'] },
                link: { type: ['integer', 'null'] },
                widget: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
              },
            },
          },
          outputs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'type'],
              properties: {
                name: { type: 'string' },
                type: { type: ['string', 'integer', 'array'] },
                links: { type: ['array', 'null'], items: { type: 'integer' } },
                slot_index: { type: 'integer' },
              },
            },
          },
          properties: { type: 'object' },
          widgets_values: { type: ['array', 'object'] },
        },
      },
    },
    links: {
      type: 'array',
      items: {
        type: 'array',
        minItems: 6,
        maxItems: 6,
        prefixItems: [{ type: 'integer' }, nodeId, { type: 'integer' }, nodeId, { type: 'integer' }, { type: ['string', 'integer', 'array'] }],
      },
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['title', 'bounding'],
        properties: {
          title: { type: 'string' },
          bounding: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 },
          color: { type: 'string' },
          font_size: { type: 'number' },
        },
      },
    },
    config: { type: 'object' },
    extra: { type: 'object' },
    version: { type: 'number' },
  },
} as const;

// strictTuples off: prefixItems without items is valid draft 2020 usage that ajv's strict mode warns about.
const ajv = new Ajv({ allErrors: true, strict: false });
const checkPrompt = ajv.compile(promptSchema);
const checkWorkflow = ajv.compile(workflowSchema);

/** Readable one-line-per-problem summary of ajv errors, naming the JSON path. */
export function describeSchemaErrors(list: ErrorObject[] | null | undefined, max = 10): string {
  if (!list || list.length === 0) return '';
  const lines = list.slice(0, max).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
  if (list.length > max) lines.push(`... and ${list.length - max} more`);
  return lines.join('; ');
}

/** Checks the prompt's shape; returns null when it conforms, otherwise a description of what is wrong. */
export function promptShapeErrors(prompt: unknown): string | null {
  return checkPrompt(prompt) ? null : describeSchemaErrors(checkPrompt.errors);
}

/** Checks a (migrated) workflow's shape; returns null when it conforms, otherwise what is wrong and where. */
export function workflowShapeErrors(workflow: unknown): string | null {
  return checkWorkflow(workflow) ? null : describeSchemaErrors(checkWorkflow.errors);
}
