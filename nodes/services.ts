// The services nodes receive through their context, declared by module augmentation so the engine stays
// independent of them. Each area adds its own fields here.
import '../server/engine/node-definition.js';
import type { FileAreas } from '../server/store/file-areas.js';

declare module '../server/engine/node-definition.js' {
  interface NodeServices {
    /** input/, output/ and temp/ under the data dir: safe resolution, listings, hashes, output counters. */
    files: FileAreas;
    // files: FileAreas (server issue), models: ModelRegistry (runtime issue), ... added by their owners.
  }
}
