// The model loader's bundle list depends on the host's model directories. Declarations are shared module data,
// so each host (server, CLI, test) binds its own listing into a copy, as the server does for Load Image's files.
import type { InputSpec, NodeDefinition } from '../../server/engine/node-definition.js';

/** Copies of `defs` whose KontextModelLoader lists the bundles `list` returns (evaluated on every use). */
export function bindBundleChoices(defs: readonly NodeDefinition[], list: () => readonly string[]): NodeDefinition[] {
  return defs.map((def) => {
    if (def.id !== 'KontextModelLoader') return def;
    const bundle: InputSpec = { ...def.inputs.required.bundle!, choices: list };
    return { ...def, inputs: { ...def.inputs, required: { ...def.inputs.required, bundle } } };
  });
}
