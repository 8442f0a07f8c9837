// The node registry and ComfyUI's object_info, generated from the declarations (never written by hand).
import type { NodeDefinition } from './node-definition.js';
import { describeInput } from './inputs.js';

/** One node class as GET /object_info describes it, field for field ComfyUI's shape. */
export interface ObjectInfo {
  input: {
    required: Record<string, [string | string[], Record<string, unknown>]>;
    optional?: Record<string, [string | string[], Record<string, unknown>]>;
    hidden?: Record<string, string>;
  };
  input_order: { required: string[]; optional?: string[]; hidden?: string[] };
  output: string[];
  output_is_list: boolean[];
  output_name: string[];
  output_tooltips?: string[];
  name: string;
  display_name: string;
  description: string;
  category: string;
  output_node: boolean;
  python_module: string;
  deprecated: boolean;
  experimental: boolean;
}

/** Holds every node definition by class id; the single source for validation, execution and object_info. */
export class NodeRegistry {
  private readonly defs = new Map<string, NodeDefinition>();

  /** Creates a registry, optionally filled with `defs`; throws like `register` on a bad or duplicate id. */
  constructor(defs: Iterable<NodeDefinition> = []) {
    for (const def of defs) this.register(def);
  }

  /** Adds a node class; throws if its id is empty or already registered (ids are stable and unique). */
  register(def: NodeDefinition): this {
    if (!def.id || typeof def.id !== 'string') throw new Error('A node definition needs a non-empty string id');
    if (this.defs.has(def.id)) throw new Error(`Node class ${def.id} is registered twice`);
    for (const name of Object.keys(def.inputs.optional ?? {})) {
      if (name in def.inputs.required) throw new Error(`Node class ${def.id} declares input '${name}' as both required and optional`);
    }
    this.defs.set(def.id, def);
    return this;
  }

  /** The definition of a class id, or undefined when unknown. */
  get(id: string): NodeDefinition | undefined {
    return this.defs.get(id);
  }

  /** True when a class id is registered. */
  has(id: string): boolean {
    return this.defs.has(id);
  }

  /** All definitions, in registration order. */
  list(): NodeDefinition[] {
    return [...this.defs.values()];
  }

  /** object_info for every class; combo choices functions are evaluated on each call. */
  objectInfo(): Record<string, ObjectInfo> {
    const out: Record<string, ObjectInfo> = {};
    for (const def of this.defs.values()) out[def.id] = toObjectInfo(def);
    return out;
  }

  /** `{id: info}` for one class, or `{}` when unknown (ComfyUI answers 200 with an empty object). */
  objectInfoFor(id: string): Record<string, ObjectInfo> {
    const def = this.defs.get(id);
    return def ? { [id]: toObjectInfo(def) } : {};
  }
}

/** ComfyUI's object_info entry for one definition. */
export function toObjectInfo(def: NodeDefinition): ObjectInfo {
  const required: ObjectInfo['input']['required'] = {};
  for (const [name, spec] of Object.entries(def.inputs.required)) required[name] = describeInput(spec);
  const input: ObjectInfo['input'] = { required };
  const input_order: ObjectInfo['input_order'] = { required: Object.keys(def.inputs.required) };
  if (def.inputs.optional && Object.keys(def.inputs.optional).length > 0) {
    const optional: ObjectInfo['input']['required'] = {};
    for (const [name, spec] of Object.entries(def.inputs.optional)) optional[name] = describeInput(spec);
    input.optional = optional;
    input_order.optional = Object.keys(def.inputs.optional);
  }
  if (def.inputs.hidden && Object.keys(def.inputs.hidden).length > 0) {
    input.hidden = { ...def.inputs.hidden };
    input_order.hidden = Object.keys(def.inputs.hidden);
  }
  const info: ObjectInfo = {
    input,
    input_order,
    output: def.outputs.map((o) => o.type),
    output_is_list: def.outputs.map((o) => o.isList === true),
    output_name: def.outputs.map((o) => o.name),
    name: def.id,
    display_name: def.displayName,
    description: def.description,
    category: def.category,
    output_node: def.outputNode === true,
    python_module: 'nodes',
    deprecated: false,
    experimental: false,
  };
  if (def.outputs.some((o) => o.tooltip)) info.output_tooltips = def.outputs.map((o) => o.tooltip ?? '');
  return info;
}
