// Combo choices that depend on the host (uploaded files, installed model bundles). Declarations are shared module
// data, so each host (server, CLI, test) binds its own listings into copies rather than into globals.
import type { InputSpec, NodeDefinition } from './node-definition.js';

/** Lists choices on every use, so new files or bundles appear without a restart. */
export type ChoiceLister = () => readonly string[];

/**
 * Copies of `defs` in which each input that `pick` returns a lister for takes that lister as its choices;
 * definitions with no such input are returned as they are.
 */
export function bindChoices(
  defs: readonly NodeDefinition[],
  pick: (def: NodeDefinition, name: string, spec: InputSpec) => ChoiceLister | undefined,
): NodeDefinition[] {
  return defs.map((def) => {
    let changed = false;
    const bind = (inputs: Record<string, InputSpec>): Record<string, InputSpec> =>
      Object.fromEntries(Object.entries(inputs).map(([name, spec]) => {
        const choices = pick(def, name, spec);
        if (!choices) return [name, spec];
        changed = true;
        return [name, { ...spec, choices }];
      }));
    const required = bind(def.inputs.required);
    const optional = def.inputs.optional && bind(def.inputs.optional);
    return changed ? { ...def, inputs: { ...def.inputs, required, ...(optional && { optional }) } } : def;
  });
}
