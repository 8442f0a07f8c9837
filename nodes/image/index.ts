// The image nodes (ComfyUI class ids): load from input/, save to output/, preview to temp/, take from and join
// batches, resize, crop, blend, blur, and paste one image into another through a mask.
import type { NodeDefinition } from '../../server/engine/node-definition.js';
import { imageBatchNode } from './image-batch.js';
import { imageBlendNode } from './image-blend.js';
import { imageBlurNode } from './image-blur.js';
import { imageCompositeMaskedNode } from './image-composite-masked.js';
import { imageCropNode } from './image-crop.js';
import { imageFromBatchNode } from './image-from-batch.js';
import { imageScaleByNode } from './image-scale-by.js';
import { imageScaleNode } from './image-scale.js';
import { loadImageNode } from './load-image.js';
import { previewImageNode } from './preview-image.js';
import { saveImageNode } from './save-image.js';

export const imageNodes: NodeDefinition[] = [loadImageNode, saveImageNode, previewImageNode, imageFromBatchNode, imageBatchNode, imageScaleNode, imageScaleByNode, imageCropNode, imageCompositeMaskedNode, imageBlendNode, imageBlurNode];
