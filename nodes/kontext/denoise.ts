// Kontext Denoise: the flow-matching loop. Every strength of a sweep is one item of one batch sharing the same
// noise, so the results differ only by strength. Reports progress every step and a preview of the predicted
// clean image, and stops within a step when interrupted. With cfg other than 1 every step also runs a negative
// instruction (the empty one unless connected) and moves along the difference (classifier-free guidance).
import { createHash } from 'node:crypto';
import { defineNode, type NodeContext } from '../../server/engine/node-definition.js';
import { floatTensor, strengthAtChange, type FloatTensor } from './math/index.js';
import { SOCKET, MODEL_INPUT, CONDITIONING_INPUT, latentItem, makeLatent, type Conditioning, type KontextModel, type Latent, type Modulation } from './sockets.js';
import { assertSameModel, expectKind } from './checks.js';
import { kontextPipeline, type KontextHandle, type KontextPipeline } from './pipeline-access.js';
import { PreviewPump, previewStrip } from './preview.js';
import { fitLatentRgbMap, latentPreviewImage, type LatentRgbMap } from './latent-preview.js';
import { encodeJpeg } from '../../server/media/codec.js';
import { formatStrength, MAX_STRENGTHS } from './strength-values.js';
import type { ItemMeta } from '../sockets.js';
import { expectMask, maskPlane, resizeMask, type MaskBatch } from '../mask/mask.js';
import { changePathOf, hasChangePath, PROBE_STRENGTHS, rememberChangePath, renderEvenly, roundStrength, spacingPlan, SPACINGS, type RenderStrengths } from './even-change.js';

/** Most images one Denoise may produce (references x strengths), so a chained sweep cannot explode memory. */
export const MAX_OUTPUT_ITEMS = MAX_STRENGTHS;

/** Largest seed that survives JSON exactly (workflows and prompts are JSON). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

interface Plan {
  references: Latent[];
  strengths: number[] | null;
  modulation: FloatTensor | null;
}

/**
 * The edit mask on the latent grid (bilinear, as ComfyUI fits a noise mask to a latent); its first plane serves
 * every item. A mask of another shape than the image is stretched to it, as in ComfyUI.
 */
function latentEditMask(mask: MaskBatch, latentH: number, latentW: number): Float32Array {
  const first = { ...mask, count: 1, values: maskPlane(mask, 0) };
  return Float32Array.from(resizeMask(first, latentW, latentH).values, (v) => Math.min(1, Math.max(0, v)));
}

/** A short digest of float weights (a mask, a negative instruction's vector), for keys of what was measured with them. */
function weightsKey(weights: Float32Array): string {
  return createHash('sha1').update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex').slice(0, 16);
}

/** cfg 1 is the instruction's own velocity: no second pass, whatever is connected to negative. */
const CFG_OFF = 1;

interface TextTensors {
  pooled: FloatTensor;
  embeds: FloatTensor;
}

const textTensors = (c: Conditioning): TextTensors => ({
  pooled: floatTensor(c.pooled, [1, c.pooledDim]),
  embeds: floatTensor(c.embeds, [1, c.seqLen, c.embedDim]),
});

/** Per loaded bundle: its encoding of the empty instruction, the default negative (what the model does unasked). */
const emptyInstructions = new WeakMap<KontextHandle, Promise<TextTensors>>();

function emptyInstruction(pipeline: KontextPipeline, handle: KontextHandle): Promise<TextTensors> {
  let encoded = emptyInstructions.get(handle);
  if (!encoded) {
    encoded = pipeline.encodeText(handle, '').then(({ pooled, embeds }) => ({ pooled, embeds }));
    encoded.catch(() => emptyInstructions.delete(handle));
    emptyInstructions.set(handle, encoded);
  }
  return encoded;
}

/**
 * The guidance of one Denoise: null when off (cfg 1).
 * @throws Error when the negative conditioning belongs to another model.
 */
async function guidancePlan(cfgInput: unknown, negativeInput: unknown, model: KontextModel, pipeline: KontextPipeline): Promise<{ negative: TextTensors; scale: number } | null> {
  const scale = cfgInput == null ? CFG_OFF : Number(cfgInput);
  if (scale === CFG_OFF) return null;
  if (negativeInput == null) return { negative: await emptyInstruction(pipeline, model.handle), scale };
  const negative = expectKind<Conditioning>(negativeInput, 'CONDITIONING', 'negative');
  assertSameModel(model, negative, 'negative conditioning');
  return { negative: textTensors(negative), scale };
}

function plan(reference: Latent, modulation: Modulation | null): Plan {
  const references = Array.from({ length: reference.count }, (_, i) => latentItem(reference, i));
  if (!modulation) return { references, strengths: null, modulation: null };
  return { references, strengths: modulation.strengths, modulation: floatTensor(modulation.data, [modulation.strengths.length, modulation.dim]) };
}

/**
 * The metadata of one output item: the new strength replaces the reference's, and when several references (the
 * frames of an earlier sweep) are edited, the label keeps both ("0.30>0.75") so a grid can tell them apart.
 */
function itemMeta(base: ItemMeta, strength: number | null, chained: boolean): ItemMeta {
  if (strength === null) return { ...base };
  const label = chained && typeof base.strength === 'number' ? `${formatStrength(base.strength)}>${formatStrength(strength)}` : undefined;
  const { label: _old, ...rest } = base;
  return label ? { ...rest, strength, label } : { ...rest, strength };
}

/** Per loaded bundle: the latent-to-RGB map its previews use when it has no preview decoder. */
const previewMaps = new WeakMap<KontextHandle, Promise<LatentRgbMap>>();

/** At most this many previews start per second (steps faster than that share one). */
const PREVIEWS_PER_SECOND = 15;

/** Smallest preview height in pixels: tiny latent grids are enlarged to at least this. */
const MIN_PREVIEW_SIDE = 48;

function previewMapFor(pipeline: KontextPipeline, handle: KontextHandle, reference: FloatTensor): Promise<LatentRgbMap> {
  let map = previewMaps.get(handle);
  if (!map) {
    map = pipeline.decode(handle, reference).then((decoded) => fitLatentRgbMap(reference, decoded));
    map.catch(() => previewMaps.delete(handle));
    previewMaps.set(handle, map);
  }
  return map;
}

function previewPump(ctx: NodeContext, pipeline: KontextPipeline, handle: KontextHandle, reference: FloatTensor): PreviewPump {
  const make = async (x0: FloatTensor): Promise<Uint8Array> => {
    if (pipeline.hasPreviewDecoder(handle)) return previewStrip(await pipeline.previewDecode(handle, x0));
    const map = await previewMapFor(pipeline, handle, reference);
    const scale = Math.min(8, Math.max(1, Math.ceil(MIN_PREVIEW_SIDE / x0.dims[2]!)));
    return encodeJpeg(latentPreviewImage(map, x0, scale), 0, 80);
  };
  return new PreviewPump(
    make,
    (jpeg) => ctx.preview({ format: 'jpeg', data: jpeg }),
    (error) => console.warn(`[kontext] a denoise preview failed: ${(error as Error).message}`),
  );
}

export const kontextDenoise = defineNode({
  id: 'KontextDenoise',
  displayName: 'Kontext Denoise',
  category: 'kontext',
  description:
    'Makes the edit: starts from noise and, step by step, draws the edited image guided by the instruction and the ' +
    'reference. With a Projector connected it renders every strength of the sweep at once, all from the same noise; ' +
    'without one it makes the plain Kontext edit. Shows a preview while it works and stops when you cancel.',
  inputs: {
    required: {
      model: MODEL_INPUT,
      conditioning: CONDITIONING_INPUT,
      reference: { type: SOCKET.LATENT, tooltip: 'The image to edit, from Encode Image. The result has its size.' },
      seed: {
        type: 'INT',
        default: 64,
        min: 0,
        max: MAX_SEED,
        step: 1,
        tooltip: 'The noise to start from. The same seed gives the same result; every strength of a sweep shares it.',
      },
      steps: {
        type: 'INT',
        default: 14,
        min: 1,
        max: 200,
        step: 1,
        tooltip: 'Denoising steps: more is slower and usually cleaner (the paper uses 14 to 28; kontext-tiny gains nothing past 2).',
      },
      guidance: {
        type: 'FLOAT',
        default: 2.5,
        min: 0,
        max: 20,
        step: 0.1,
        round: 0.01,
        tooltip: 'How firmly the model follows the instruction (an embedded guidance value, not CFG: no extra cost).',
      },
    },
    optional: {
      modulation: {
        type: SOCKET.MODULATION,
        tooltip: 'Strengths from Projector. Leave unconnected for a plain Kontext edit at full strength.',
      },
      spacing: {
        type: 'COMBO',
        choices: SPACINGS,
        default: 'as given',
        tooltip:
          'as given: render the strengths you chose. even change: make equal steps of strength equal steps of change. ' +
          'A sweep is rendered as given, the change between neighbouring strengths measured, and the inner strengths ' +
          'rendered again where the image changes evenly (same ends; under twice the time): grids and animations move ' +
          'evenly. A single strength s lands where the edit has made the fraction s of its change: the first time, ' +
          'six strengths of this edit are rendered to measure it; moving the slider afterwards costs one render.',
      },
      negative: {
        type: SOCKET.CONDITIONING,
        tooltip:
          'What cfg steers away from. Unconnected: the empty instruction, i.e. what the model makes unasked (for ' +
          'an editor, nearly the unedited image). Used only when cfg is not 1.',
      },
      cfg: {
        type: 'FLOAT',
        default: CFG_OFF,
        min: 0,
        max: 20,
        step: 0.1,
        round: 0.01,
        tooltip:
          'Classifier-free guidance against negative. 1: off, one pass a step. Above 1 each step also runs the ' +
          'negative instruction (twice the time) and pushes the edit further from it: a weak edit is made more fully, ' +
          'at some cost in fidelity (kontext-tiny: see its model card). Below 1 it leans towards the negative.',
      },
      mask: {
        type: 'MASK',
        tooltip:
          'Where to edit (1, e.g. a painted area) and where to keep the reference (0). After every step the latent ' +
          'outside is reset to the reference at that noise level, so the edit blends into unedited surroundings. ' +
          'Decoding still alters the kept pixels slightly: paste the result back with Composite Masked for exact ones.',
      },
    },
  },
  outputs: [{ type: SOCKET.LATENT, name: 'LATENT', tooltip: 'One edited latent per strength (and per reference), for Decode.' }],
  async run(ctx, inputs) {
    const model = expectKind<KontextModel>(inputs.model, 'KONTEXT_MODEL', 'model');
    const conditioning = expectKind<Conditioning>(inputs.conditioning, 'CONDITIONING', 'conditioning');
    const reference = expectKind<Latent>(inputs.reference, 'LATENT', 'reference');
    const modulation = inputs.modulation == null ? null : expectKind<Modulation>(inputs.modulation, 'MODULATION', 'modulation');
    assertSameModel(model, conditioning, 'conditioning');
    assertSameModel(model, reference, 'reference latent');
    if (modulation) assertSameModel(model, modulation, 'modulation');
    const maskInput = inputs.mask == null ? null : expectMask(inputs.mask, 'mask');
    const seed = Number(inputs.seed);
    const steps = Number(inputs.steps);
    const guidance = Number(inputs.guidance);
    const pipeline = kontextPipeline(ctx.services);
    const scale = pipeline.downscale(model.handle);
    const { references, strengths, modulation: modTensor } = plan(reference, modulation);
    const text = textTensors(conditioning);
    const guide = await guidancePlan(inputs.cfg, inputs.negative, model, pipeline);

    const items = references.length * (strengths?.length ?? 1);
    if (items > MAX_OUTPUT_ITEMS) {
      throw new Error(
        `this would render ${references.length} reference image(s) x ${strengths?.length ?? 1} strength(s) = ${items} images; ` +
          `Kontext Denoise makes at most ${MAX_OUTPUT_ITEMS} at once: shorten the sweep or feed fewer images`,
      );
    }
    const spacing = spacingPlan(inputs.spacing, strengths);
    const first = references[0]!;
    // One bar over every pass of the sampler: a single strength's probe first, a sweep's re-spaced inner
    // strengths after it, and each pass in as many transformer calls as its items need.
    const perCall = pipeline.itemsPerDenoiseCall(model.handle, {
      width: first.width * scale,
      height: first.height * scale,
      refLatent: floatTensor(first.data, [1, first.channels, first.height, first.width]),
      text,
      ...(guide && { guide }),
    });
    const stepsFor = (items: number): number => steps * Math.ceil(items / perCall);
    const editMask = maskInput && latentEditMask(maskInput, first.height, first.width);
    // The probe of an edit's change is kept per reference and settings: a masked or guided edit changes differently.
    const guideKey = guide ? `cfg ${guide.scale} ${weightsKey(guide.negative.embeds.data)}` : 'plain';
    const probeKey = (r: number): string => `${r}|${seed}|${steps}|${guidance}|${editMask ? weightsKey(editMask) : 'whole'}|${guideKey}`;
    const count = strengths?.length ?? 1;
    const total = references.reduce((sum, _, r) => {
      if (spacing === 'sweep') return sum + stepsFor(count) + stepsFor(count - 2);
      if (spacing === 'single' && !hasChangePath(conditioning, reference, probeKey(r))) return sum + stepsFor(PROBE_STRENGTHS.length) + stepsFor(1);
      return sum + stepsFor(count);
    }, 0);
    const results: Float32Array[] = [];
    const meta: ItemMeta[] = [];
    const previews = previewPump(ctx, pipeline, model.handle, floatTensor(first.data, [1, first.channels, first.height, first.width]));
    let done = 0;
    const render = async (ref: Latent, itemStrengths: number[], itemModulation: FloatTensor | null): Promise<FloatTensor> => {
      const before = done;
      const out = await pipeline.denoise(
        model.handle,
        {
          text,
          refLatent: floatTensor(ref.data, [1, ref.channels, ref.height, ref.width]),
          modulation: itemModulation,
          strengths: itemStrengths,
          seed,
          steps,
          guidance,
          width: ref.width * scale,
          height: ref.height * scale,
          ...(editMask && { editMask }),
          ...(guide && { guide }),
        },
        {
          signal: ctx.signal,
          onStep: (step, _n, x0) => {
            ctx.progress(before + step, total);
            if (x0) previews.offer(x0);
          },
          previewEveryMs: 1000 / PREVIEWS_PER_SECOND,
        },
      );
      done = before + stepsFor(itemStrengths.length || 1);
      return out;
    };
    try {
      for (const [r, ref] of references.entries()) {
        const renderRef: RenderStrengths = (list, mod) => render(ref, list, mod);
        let out: FloatTensor;
        let rendered = strengths;
        if (spacing === 'single') {
          const path = await changePathOf(conditioning, reference, probeKey(r), { pipeline, handle: model.handle, pooled: text.pooled, render: renderRef });
          rendered = [roundStrength(strengthAtChange(path, strengths![0]!))];
          out = await renderRef(rendered, await pipeline.project(model.handle, rendered, text.pooled));
        } else {
          out = await render(ref, strengths ?? [1], modTensor);
          if (spacing === 'sweep') {
            const respaced = await renderEvenly(pipeline, model.handle, text.pooled, strengths!, out, renderRef);
            out = respaced.latent;
            rendered = respaced.strengths;
            rememberChangePath(conditioning, reference, probeKey(r), respaced.path);
          }
        }
        results.push(out.data);
        const base = ref.meta[0] ?? {};
        for (const s of rendered ?? [null]) meta.push(itemMeta(base, s, references.length > 1));
      }
    } finally {
      await previews.close();
    }

    const item = reference.channels * reference.height * reference.width;
    const data = new Float32Array(meta.length * item);
    let offset = 0;
    for (const part of results) {
      data.set(part, offset);
      offset += part.length;
    }
    const latent = makeLatent(model.name, meta.length, reference.channels, reference.height, reference.width, data, meta);
    // Re-spaced strengths are not in the prompt: say which were rendered (the editor's strength explorer reads them).
    if (spacing !== 'as given') return { outputs: [latent], ui: { strengths: meta.map((m) => m.strength as number) } };
    return { outputs: [latent] };
  },
});
