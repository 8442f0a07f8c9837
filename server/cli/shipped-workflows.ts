// The workflows shipped in workflows/, described once here and written by the builder, so their widget values
// always follow the nodes' current input order. `node --import tsx server/cli/shipped-workflows.ts --write`
// regenerates the JSON files; a test checks the committed files still equal what this produces.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeRegistry } from '../engine/index.js';
import { allNodes } from '../../nodes/index.js';
import { buildWorkflow, type TemplateNode } from './workflow-builder.js';

/** The image every shipped workflow loads (copied into the data dir's input/ area by seedSampleInputs). */
export const SAMPLE_IMAGE = 'chelsea.png';
/** The same photo with its face transparent: Load Image's MASK, the area the masked template edits. */
export const SAMPLE_MASKED_IMAGE = 'chelsea-masked.png';
export const DEFAULT_BUNDLE = 'kontext-tiny';
const SEED = 64;
// kontext-tiny's manifest default: 2 steps scored as well as 8 or 14 on its held-out pairs, smoother and faster
// (its model card, "Defaults").
const STEPS = 2;
const GUIDANCE = 2.5;

/** Load image + model + scale + encode: the front half every template shares (ids 1-5). */
function sourceNodes(instruction: string, image = SAMPLE_IMAGE): TemplateNode[] {
  const masked = image === SAMPLE_MASKED_IMAGE;
  return [
    { id: 1, type: 'LoadImage', pos: [40, 60], widgets: { image } },
    { id: 2, type: 'KontextModelLoader', pos: [40, 420], widgets: { bundle: DEFAULT_BUNDLE } },
    {
      id: 3,
      type: 'ImageScaleToKontext',
      pos: [380, 60],
      links: { model: [2, 0], image: [1, 0], ...(masked ? { mask: [1, 1] } : {}) },
      widgets: { fit: 'crop' },
    },
    { id: 4, type: 'KontextImageEncode', pos: [720, 60], links: { model: [2, 0], image: [3, 0] } },
    { id: 5, type: 'KontextTextEncode', pos: [380, 300], links: { model: [2, 0] }, widgets: { instruction } },
  ];
}

function editNodes(first: number, model: number, conditioning: number, reference: number, strength: Record<string, unknown>, y: number, spacing = 'as given'): TemplateNode[] {
  const [s, p, d, v] = [first, first + 1, first + 2, first + 3];
  return [
    { id: s, type: 'KontextStrength', pos: [380, y], widgets: strength },
    { id: p, type: 'KontextProjector', pos: [720, y], links: { model: [model, 0], conditioning: [conditioning, 0], strength: [s, 0] } },
    {
      id: d,
      type: 'KontextDenoise',
      pos: [1060, y - 120],
      links: { model: [model, 0], conditioning: [conditioning, 0], reference: [reference, 0], modulation: [p, 0] },
      widgets: { seed: SEED, steps: STEPS, guidance: GUIDANCE, spacing },
    },
    { id: v, type: 'KontextDecode', pos: [1400, y - 120], links: { model: [model, 0], latent: [d, 0] } },
  ];
}

/** One edit at one strength, saved: the default workflow. */
function kontinuousEdit(): TemplateNode[] {
  return [
    ...sourceNodes('make it night'),
    ...editNodes(6, 2, 5, 4, { mode: 'single', value: 0.6 }, 560),
    { id: 10, type: 'SaveImage', pos: [1740, 440], links: { images: [9, 0] }, widgets: { filename_prefix: 'Kontinuous_edit' } },
    { id: 11, type: 'PreviewImage', pos: [1060, 60], links: { images: [3, 0] }, title: 'Source (scaled)' },
  ];
}

/** A sweep of six strengths, spaced where the image changes evenly: the paper's strip, an animation and the frames. */
function strengthSweep(): TemplateNode[] {
  return [
    ...sourceNodes('turn it into a pencil sketch'),
    ...editNodes(6, 2, 5, 4, { mode: 'sweep', start: 0, end: 1, count: 6 }, 560, 'even change'),
    {
      id: 10,
      type: 'StrengthGrid',
      pos: [1740, 60],
      links: { images: [9, 0], source: [3, 0] },
      widgets: { labels: true, columns: 0, filename_prefix: 'Kontinuous_grid' },
    },
    {
      id: 11,
      type: 'StrengthAnimation',
      pos: [1740, 420],
      links: { images: [9, 0], source: [3, 0] },
      widgets: { fps: 6, ping_pong: true, format: 'webp', filename_prefix: 'Kontinuous_sweep' },
    },
    { id: 12, type: 'SaveImage', pos: [1740, 760], links: { images: [9, 0] }, widgets: { filename_prefix: 'Kontinuous_sweep_frame' } },
  ];
}

/** Two edits in a row: the first edit's decoded image is the second edit's reference. */
function chainedEdits(): TemplateNode[] {
  return [
    ...sourceNodes('make it sepia'),
    ...editNodes(6, 2, 5, 4, { mode: 'single', value: 0.8 }, 560),
    { id: 10, type: 'SaveImage', pos: [1740, 440], links: { images: [9, 0] }, widgets: { filename_prefix: 'Kontinuous_chain_first' } },
    { id: 11, type: 'KontextImageEncode', pos: [1740, 700], links: { model: [2, 0], image: [9, 0] }, title: 'Encode First Edit' },
    { id: 12, type: 'KontextTextEncode', pos: [380, 900], links: { model: [2, 0] }, widgets: { instruction: 'add fog' } },
    ...editNodes(13, 2, 12, 11, { mode: 'sweep', start: 0.25, end: 1, count: 4 }, 1140),
    {
      id: 17,
      type: 'StrengthGrid',
      pos: [1740, 1020],
      links: { images: [16, 0], source: [9, 0] },
      widgets: { labels: true, columns: 0, filename_prefix: 'Kontinuous_chain_grid' },
    },
  ];
}

/** One edit confined to the area transparent in the loaded file (the mask editor paints it), pasted back. */
function maskedEdit(): TemplateNode[] {
  // Denoise edits inside the mask only, then Composite Masked makes the pixels outside it exactly the source's.
  const edit = editNodes(6, 2, 5, 4, { mode: 'single', value: 0.8 }, 560);
  const denoise = edit.find((node) => node.type === 'KontextDenoise')!;
  denoise.links = { ...denoise.links, mask: [3, 1] };
  return [
    ...sourceNodes('turn it into a pencil sketch', SAMPLE_MASKED_IMAGE),
    ...edit,
    {
      id: 10,
      type: 'ImageCompositeMasked',
      pos: [1740, 60],
      links: { destination: [3, 0], source: [9, 0], mask: [3, 1] },
      widgets: { x: 0, y: 0, resize_source: false },
      title: 'Edit Inside the Mask',
    },
    { id: 11, type: 'SaveImage', pos: [2080, 60], links: { images: [10, 0] }, widgets: { filename_prefix: 'Kontinuous_masked' } },
    { id: 12, type: 'MaskPreview', pos: [1060, 60], links: { mask: [3, 1] }, title: 'Mask (scaled)' },
  ];
}

/** One instruction swept at cfg 1 and at cfg 1.5 from the same noise, compared row by row. */
function compareGuidance(): TemplateNode[] {
  const edit = editNodes(6, 2, 5, 4, { mode: 'sweep', start: 0, end: 1, count: 5 }, 560);
  const plain = edit.find((node) => node.type === 'KontextDenoise')!;
  return [
    ...sourceNodes('make it night'),
    ...edit,
    { ...plain, id: 10, pos: [1060, 880], widgets: { ...plain.widgets, cfg: 1.5 }, title: 'Kontext Denoise (cfg 1.5)' },
    { id: 11, type: 'KontextDecode', pos: [1400, 880], links: { model: [2, 0], latent: [10, 0] } },
    {
      id: 12,
      type: 'CompareGrid',
      pos: [1740, 60],
      links: { images_1: [9, 0], images_2: [11, 0], source: [3, 0] },
      widgets: { row_labels: 'make it night, cfg 1\nmake it night, cfg 1.5', labels: true, filename_prefix: 'Kontinuous_compare' },
    },
  ];
}

/** A shipped workflow: what the library shows about it, and its nodes. */
interface ShippedWorkflow {
  description: string;
  nodes: () => TemplateNode[];
}

/** File name -> template, for every shipped workflow. */
export const SHIPPED_WORKFLOWS: Record<string, ShippedWorkflow> = {
  'kontinuous-edit.json': { description: 'One instruction at one strength, saved: the default.', nodes: kontinuousEdit },
  'strength-sweep.json': {
    description: 'Six strengths from 0 to 1 spaced by even change: the paper\'s labelled strip, an animation and the frames.',
    nodes: strengthSweep,
  },
  'chained-edits.json': { description: 'Two edits in a row: the first edit\'s result is the second one\'s source, swept over four strengths.', nodes: chainedEdits },
  'masked-edit.json': { description: 'An edit inside a painted area only (the mask editor on Load Image), pasted back over the source.', nodes: maskedEdit },
  'compare-guidance.json': {
    description: 'One instruction swept at cfg 1 and at cfg 1.5 (guidance away from the empty instruction), compared row by row.',
    nodes: compareGuidance,
  },
};

/** The JSON text of a shipped workflow as the builder produces it; throws for an unknown name. */
export function shippedWorkflowJson(name: string, registry = new NodeRegistry(allNodes)): string {
  const template = SHIPPED_WORKFLOWS[name];
  if (!template) throw new Error(`no shipped workflow named ${name}`);
  // Arrays of plain values (positions, sizes, link tuples) on one line, as people read and diff them.
  const text = JSON.stringify(buildWorkflow(registry, template.nodes(), [], template.description), null, 2);
  return text.replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`) + '\n';
}

/** The repository's workflows/ folder. */
export const WORKFLOWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const registry = new NodeRegistry(allNodes);
  for (const name of Object.keys(SHIPPED_WORKFLOWS)) {
    writeFileSync(path.join(WORKFLOWS_DIR, name), shippedWorkflowJson(name, registry));
    console.log(`wrote workflows/${name}`);
  }
}
