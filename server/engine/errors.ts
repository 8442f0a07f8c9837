// The one error catalogue of the engine. Every message a client can see is built here, with a stable code
// (ComfyUI's error `type`), so wording stays consistent and tests can match on codes instead of prose.
import type { ComfyError } from './api.js';

/** Every error code the engine produces: ComfyUI's validation types plus our own extras. */
export type EngineErrorCode =
  | 'no_prompt'
  | 'invalid_prompt'
  | 'prompt_no_outputs'
  | 'prompt_outputs_failed_validation'
  | 'required_input_missing'
  | 'bad_linked_input'
  | 'return_type_mismatch'
  | 'invalid_input_type'
  | 'value_smaller_than_min'
  | 'value_bigger_than_max'
  | 'value_not_in_list'
  | 'custom_validation_failed'
  | 'exception_during_validation'
  | 'dependency_cycle'
  | 'invalid_workflow';

function err(type: EngineErrorCode, message: string, details: string, extra_info: Record<string, unknown> = {}): ComfyError {
  return { type, message, details, extra_info };
}

/** Keeps error payloads small: long combo lists and huge values are cut. */
function shortList(values: readonly unknown[], max = 20): string {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v));
  return `[${shown.join(', ')}${values.length > max ? `, ... (${values.length - max} more)` : ''}]`;
}

/** Builders of ComfyUI-shaped validation errors, one per message; `type` is the stable code. */
export const errors = {
  noPrompt: () => err('no_prompt', 'No prompt provided', 'No prompt provided'),
  notApiFormat: (details: string) =>
    err('invalid_prompt', 'Cannot execute because the prompt is not in the API format.', details),
  missingClassType: (nodeId: string) =>
    err('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${nodeId}'`),
  unknownClass: (nodeId: string, classType: string) =>
    err('invalid_prompt', `Cannot execute because node ${classType} does not exist.`, `Node ID '#${nodeId}'`),
  noOutputs: () => err('prompt_no_outputs', 'Prompt has no outputs', ''),
  outputsFailed: (details: string) => err('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details),
  requiredInputMissing: (input: string) =>
    err('required_input_missing', 'Required input is missing', input, { input_name: input }),
  badLinkedInput: (input: string, config: unknown, value: unknown, why?: string) =>
    err(
      'bad_linked_input',
      'Bad linked input, must be a length-2 list of [node_id, slot_index]',
      why ? `${input}, ${why}` : input,
      { input_name: input, input_config: config, received_value: value },
    ),
  returnTypeMismatch: (input: string, config: unknown, receivedType: string, inputType: string, linked: unknown) =>
    err(
      'return_type_mismatch',
      'Return type mismatch between linked nodes',
      `${input}, received_type(${receivedType}) mismatch input_type(${inputType})`,
      { input_name: input, input_config: config, received_type: receivedType, linked_node: linked },
    ),
  invalidInputType: (input: string, config: unknown, type: string, value: unknown, why: string) =>
    err('invalid_input_type', `Failed to convert an input value to a ${type} value`, `${input}, ${JSON.stringify(value)}, ${why}`, {
      input_name: input,
      input_config: config,
      received_value: value,
      exception_message: why,
    }),
  tooSmall: (input: string, config: unknown, value: number, min: number) =>
    err('value_smaller_than_min', `Value ${value} smaller than min of ${min}`, input, {
      input_name: input,
      input_config: config,
      received_value: value,
    }),
  tooBig: (input: string, config: unknown, value: number, max: number) =>
    err('value_bigger_than_max', `Value ${value} bigger than max of ${max}`, input, {
      input_name: input,
      input_config: config,
      received_value: value,
    }),
  notInList: (input: string, config: unknown, value: unknown, choices: readonly string[]) =>
    err('value_not_in_list', 'Value not in list', `${input}: '${String(value)}' not in ${shortList(choices)}`, {
      input_name: input,
      input_config: config,
      received_value: value,
    }),
  customValidationFailed: (inputNames: string[], message: string) =>
    err('custom_validation_failed', 'Custom validation failed for node', inputNames.length > 0 ? `${inputNames.join(', ')} - ${message}` : message, {
      input_name: inputNames[0] ?? '',
    }),
  exceptionDuringValidation: (message: string, exceptionType: string) =>
    err('exception_during_validation', 'Exception when validating node', message, { exception_type: exceptionType }),
  dependencyCycle: (cycle: string[]) =>
    err('dependency_cycle', 'Dependency cycle detected', `Nodes ${cycle.map((id) => `#${id}`).join(' -> ')} feed into each other`, {
      cycle,
    }),
  invalidWorkflow: (details: string) => err('invalid_workflow', 'The workflow file is not a valid UI workflow', details),
};

/** Messages for failures while running nodes (they travel in execution_error events as exception_message). */
export const runErrors = {
  wrongOutputCount: (classType: string, got: number, want: number) =>
    `${classType} returned ${got} output value${got === 1 ? '' : 's'} but declares ${want}; a node must return one value per declared output`,
  notAResult: (classType: string) => `${classType} did not return { outputs: [...] } from run()`,
  unknownClass: (classType: string) => `Node type ${classType} is not registered`,
  missingUpstream: (nodeId: string, input: string, source: string) =>
    `Input '${input}' of node #${nodeId} links to node #${source}, which has no result`,
  badOutputIndex: (nodeId: string, input: string, source: string, index: number) =>
    `Input '${input}' of node #${nodeId} links to output ${index} of node #${source}, which does not exist`,
  requiredInputMissing: (nodeId: string, classType: string, input: string) =>
    `Required input '${input}' of node #${nodeId} (${classType}) is missing`,
};

/** An error thrown by the engine with a catalogue code, for callers that prefer exceptions. */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly comfy: ComfyError;
  constructor(comfy: ComfyError) {
    super(`${comfy.message}${comfy.details ? `: ${comfy.details}` : ''}`);
    this.name = 'EngineError';
    this.code = comfy.type as EngineErrorCode;
    this.comfy = comfy;
  }
}
