// Load Image's picker lists the host's own input/ area (server or CLI data dir).
import { bindChoices } from '../../server/engine/bind-choices.js';
import type { NodeDefinition } from '../../server/engine/node-definition.js';
import type { FileAreas } from '../../server/store/file-areas.js';

/** Copies of `defs` whose image-upload combos list the images in `files`' input area. */
export function bindImageChoices(defs: readonly NodeDefinition[], files: FileAreas): NodeDefinition[] {
  return bindChoices(defs, (_def, _name, spec) => (spec.imageUpload ? () => files.listImages('input') : undefined));
}
