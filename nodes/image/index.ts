// The image nodes (ComfyUI class ids): load from input/, save to output/, preview to temp/, take from a batch.
import type { NodeDefinition } from '../../server/engine/node-definition.js';
import { imageFromBatchNode } from './image-from-batch.js';
import { loadImageNode } from './load-image.js';
import { previewImageNode } from './preview-image.js';
import { saveImageNode } from './save-image.js';

export const imageNodes: NodeDefinition[] = [loadImageNode, saveImageNode, previewImageNode, imageFromBatchNode];
