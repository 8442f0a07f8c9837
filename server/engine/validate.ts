// Prompt validation with ComfyUI's error types and 400 body, plus what ComfyUI lacks: cycles are found here
// (with the nodes named), and failing outputs are dropped while valid ones still run.
import type { ComfyError, NodeErrors, Prompt, PromptNode, ValidationResult } from './api.js';
import { errors } from './errors.js';
import { ancestorsOf, executionOrder, findCycles, isLinkValue, sourceIndex, unwrapLiteral } from './graph.js';
import { describeInput, isWidgetType, orderedInputs } from './inputs.js';
import type { NodeDefinition, NodeInputs, NodeServices } from './node-definition.js';
import type { NodeRegistry } from './registry.js';
import { promptShapeErrors } from './schemas.js';
import { checkWidgetValue, typesCompatible } from './values.js';

export interface ValidateOptions {
  /** ComfyUI's partial_execution_targets: run only these output ids (unknown ids are ignored). */
  partialExecutionTargets?: readonly string[] | null;
}

function reject(error: ComfyError, node_errors: Record<string, NodeErrors> = {}): ValidationResult {
  return { ok: false, error, node_errors, outputs: [] };
}

/**
 * Validates a prompt against the registry: shape, classes, outputs, cycles, links, types, ranges, choices and
 * custom checks. Never throws for bad input (a throwing custom check becomes exception_during_validation);
 * when ok, `prompt` holds the prompt with widget values converted and literal lists unwrapped.
 */
export async function validatePrompt(
  prompt: unknown,
  registry: NodeRegistry,
  services: NodeServices = {} as NodeServices,
  options: ValidateOptions = {},
): Promise<ValidationResult> {
  if (prompt === undefined || prompt === null) return reject(errors.noPrompt());
  const shape = promptShapeErrors(prompt);
  if (shape !== null) {
    // The most common mistake: posting the UI workflow (nodes + links) where the API format is expected.
    const p = prompt as { nodes?: unknown; links?: unknown };
    const looksLikeWorkflow = Array.isArray(p.nodes) && Array.isArray(p.links);
    return reject(errors.notApiFormat(looksLikeWorkflow ? 'this is a UI workflow (nodes + links); send the API format, e.g. converted with workflowToPrompt' : shape));
  }
  const graph = prompt as Prompt;

  const ids = Object.keys(graph);
  for (const id of ids) {
    const classType = graph[id].class_type;
    if (typeof classType !== 'string') return reject(errors.missingClassType(id));
    if (!registry.has(classType)) return reject(errors.unknownClass(id, classType));
  }

  let outputs: string[];
  if (options.partialExecutionTargets) {
    outputs = [...new Set(options.partialExecutionTargets.map(String))].filter((id) => id in graph);
  } else {
    outputs = ids.filter((id) => registry.get(graph[id].class_type)!.outputNode === true);
  }
  if (outputs.length === 0) return reject(errors.noOutputs());

  const sources = sourceIndex(graph);
  const needed = ancestorsOf(graph, outputs, sources);
  const ownErrors = new Map<string, ComfyError[]>();
  const addError = (id: string, e: ComfyError) => {
    const list = ownErrors.get(id);
    if (list) list.push(e);
    else ownErrors.set(id, [e]);
  };
  for (const cycle of findCycles(graph, needed, sources)) {
    const e = errors.dependencyCycle(cycle);
    for (const id of cycle) addError(id, e);
  }

  const normalized: Prompt = {};
  const pendingCustom: Array<Promise<void>> = [];
  for (const id of needed) {
    const node = graph[id];
    const def = registry.get(node.class_type)!;
    const { inputs, errs } = checkNodeInputs(graph, node, def, registry);
    for (const e of errs) addError(id, e);
    normalized[id] = { ...node, inputs };
    if (errs.length === 0 && def.validate) pendingCustom.push(runCustomCheck(id, def, inputs, services, addError));
  }
  await Promise.all(pendingCustom);

  // A node is valid when it has no errors and every node it links to is valid. Sources come first in this
  // order except inside cycles, whose members already carry errors.
  const valid = new Map<string, boolean>();
  for (const id of executionOrder(graph, outputs, undefined, sources)) {
    let ok = !ownErrors.has(id);
    if (ok) {
      for (const src of sources(id)) {
        if (valid.get(src) !== true) { ok = false; break; }
      }
    }
    valid.set(id, ok);
  }

  const good: string[] = [];
  const node_errors: Record<string, NodeErrors> = {};
  for (const out of outputs) {
    if (valid.get(out)) { good.push(out); continue; }
    for (const id of ancestorsOf(graph, [out], sources)) {
      const errs = ownErrors.get(id);
      if (!errs) continue;
      const entry = (node_errors[id] ??= { errors: errs, dependent_outputs: [], class_type: graph[id].class_type });
      entry.dependent_outputs.push(out);
    }
  }
  if (good.length === 0) {
    const lines: string[] = [];
    for (const entry of Object.values(node_errors)) for (const e of entry.errors) lines.push(`${e.message}: ${e.details}`);
    return reject(errors.outputsFailed(lines.join('\n')), node_errors);
  }
  return { ok: true, node_errors, outputs: good, prompt: normalized };
}

/** Checks one node's inputs against its declaration; returns converted inputs and the errors found. */
function checkNodeInputs(
  graph: Prompt,
  node: PromptNode,
  def: NodeDefinition,
  registry: NodeRegistry,
): { inputs: NodeInputs; errs: ComfyError[] } {
  const errs: ComfyError[] = [];
  const inputs: NodeInputs = {};
  for (const { name, spec, required } of orderedInputs(def)) {
    if (!(name in node.inputs) || node.inputs[name] === undefined || node.inputs[name] === null) {
      if (required) errs.push(errors.requiredInputMissing(name));
      continue;
    }
    const raw = node.inputs[name];
    if (Array.isArray(raw)) {
      if (!isLinkValue(raw)) {
        errs.push(errors.badLinkedInput(name, describeInput(spec), raw));
        continue;
      }
      const sourceId = String(raw[0]);
      const source = graph[sourceId];
      if (!source) {
        errs.push(errors.badLinkedInput(name, describeInput(spec), raw, `node #${sourceId} does not exist in the prompt`));
        continue;
      }
      // Every class was checked to exist before inputs are looked at.
      const out = registry.get(source.class_type)?.outputs[raw[1]];
      if (!out) {
        errs.push(errors.badLinkedInput(name, describeInput(spec), raw, `node #${sourceId} (${source.class_type}) has no output ${raw[1]}`));
        continue;
      }
      if (!typesCompatible(out.type, spec.type)) {
        errs.push(errors.returnTypeMismatch(name, describeInput(spec), out.type, spec.type, raw));
        continue;
      }
      inputs[name] = [sourceId, raw[1]];
      continue;
    }
    const value = unwrapLiteral(raw);
    if (!isWidgetType(spec.type)) {
      errs.push(errors.invalidInputType(name, describeInput(spec), spec.type, value, `a ${spec.type} input must be linked to another node's output`));
      continue;
    }
    const checked = checkWidgetValue(name, spec, value);
    if (checked.ok) inputs[name] = checked.value;
    else errs.push(checked.error);
  }
  // Inputs the class does not declare are left out: clients send extras, and nodes receive declared ones only.
  return { inputs, errs };
}

async function runCustomCheck(
  id: string,
  def: NodeDefinition,
  inputs: NodeInputs,
  services: NodeServices,
  addError: (id: string, e: ComfyError) => void,
): Promise<void> {
  // Like ComfyUI's VALIDATE_INPUTS, the check sees literal values only: linked values do not exist yet.
  const literals: NodeInputs = {};
  for (const [name, value] of Object.entries(inputs)) if (!isLinkValue(value)) literals[name] = value;
  const widgetNames = orderedInputs(def).filter((i) => isWidgetType(i.spec.type) && i.name in literals).map((i) => i.name);
  try {
    const message = await def.validate!(literals, services);
    if (typeof message === 'string' && message.length > 0) addError(id, errors.customValidationFailed(widgetNames, message));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    addError(id, errors.exceptionDuringValidation(err.message, err.name));
  }
}
