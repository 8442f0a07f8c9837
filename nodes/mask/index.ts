// The mask nodes (ComfyUI class ids): load, make, invert, grow, harden, convert and preview the MASK that Load Image reads
// from a file's alpha and the mask editor paints, for Composite Masked to confine an edit.
import type { NodeDefinition } from '../../server/engine/node-definition.js';
import { growMaskNode } from './grow-mask.js';
import { imageToMaskNode } from './image-to-mask.js';
import { invertMaskNode } from './invert-mask.js';
import { loadImageMaskNode } from './load-image-mask.js';
import { maskPreviewNode } from './mask-preview.js';
import { maskToImageNode } from './mask-to-image.js';
import { solidMaskNode } from './solid-mask.js';
import { thresholdMaskNode } from './threshold-mask.js';

export const maskNodes: NodeDefinition[] = [loadImageMaskNode, growMaskNode, invertMaskNode, thresholdMaskNode, solidMaskNode, maskToImageNode, imageToMaskNode, maskPreviewNode];
