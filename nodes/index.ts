// Every node the product ships, registered in one list. Each area keeps its own sub-index.
import type { NodeDefinition } from '../server/engine/node-definition.js';
import { imageNodes } from './image/index.js';
import { kontextNodes } from './kontext/index.js';
import { maskNodes } from './mask/index.js';

export const allNodes: NodeDefinition[] = [
  ...imageNodes,
  ...maskNodes,
  ...kontextNodes,
];
