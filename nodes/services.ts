// The services nodes receive through their context, declared by module augmentation so the engine stays
// independent of them. Each area adds its own fields here.
import '../server/engine/node-definition.js';

declare module '../server/engine/node-definition.js' {
  interface NodeServices {
    // files: FileAreas (server issue), models: ModelRegistry (runtime issue), ... added by their owners.
  }
}
