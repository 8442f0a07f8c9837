// The Kontext nodes, in the order the node library lists them.
import type { NodeDefinition } from '../../server/engine/node-definition.js';
import { kontextModelLoader } from './model-loader.js';
import { kontextTextEncode } from './text-encode.js';
import { imageScaleToKontext } from './image-scale.js';
import { kontextImageEncode } from './image-encode.js';
import { kontextStrength } from './strength.js';
import { kontextProjector } from './projector.js';
import { kontextDenoise } from './denoise.js';
import { kontextDecode } from './decode.js';
import { strengthGrid } from './strength-grid.js';
import { strengthAnimation } from './strength-animation.js';
import { compareGrid } from './compare-grid.js';

export const kontextNodes: NodeDefinition[] = [
  kontextModelLoader,
  kontextTextEncode,
  imageScaleToKontext,
  kontextImageEncode,
  kontextStrength,
  kontextProjector,
  kontextDenoise,
  kontextDecode,
  strengthGrid,
  strengthAnimation,
  compareGrid,
];
