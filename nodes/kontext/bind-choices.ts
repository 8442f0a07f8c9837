// The model loader's bundle list depends on the host's model directories.
import { bindChoices, type ChoiceLister } from '../../server/engine/bind-choices.js';
import type { NodeDefinition } from '../../server/engine/node-definition.js';

/** Copies of `defs` whose KontextModelLoader lists the bundles `list` returns (evaluated on every use). */
export function bindBundleChoices(defs: readonly NodeDefinition[], list: ChoiceLister): NodeDefinition[] {
  return bindChoices(defs, (def, name) => (def.id === 'KontextModelLoader' && name === 'bundle' ? list : undefined));
}
