// The services nodes receive through their context, declared by module augmentation so the engine stays
// independent of them. Each area adds its own fields here.
import '../server/engine/node-definition.js';
import type { FileAreas } from '../server/store/file-areas.js';
import type { KontextPipeline } from '../server/runtime/kontext-pipeline.js';

declare module '../server/engine/node-definition.js' {
  interface NodeServices {
    /** input/, output/ and temp/ under the data dir: safe resolution, listings, hashes, output counters. */
    files: FileAreas;
    /**
     * Model bundles and Kontext inference (server/runtime/model-service.ts createModelService). Optional so
     * hosts without models (engine tests) need not build one; the Kontext nodes say clearly when it is absent.
     */
    models?: KontextPipeline;
  }
}
