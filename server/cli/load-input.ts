// Reads what `run` is given: a UI workflow (.json as the editor saves it), an API prompt (.json), or a PNG the
// app saved (its `workflow` text chunk, else its `prompt` chunk). Everything becomes a prompt plus, when known,
// the UI workflow to embed in saved images.
import { readFileSync } from 'node:fs';
import { EngineError, parseWorkflow, workflowToPrompt, type NodeRegistry, type Prompt, type Workflow } from '../engine/index.js';
import { readPngText } from '../engine/workflow/png-text.js';
import { CliError, EXIT } from './exit-codes.js';

export interface LoadedInput {
  prompt: Prompt;
  /** The UI workflow, when the file held one (embedded in saved PNGs as ComfyUI does). */
  workflow: Workflow | null;
  /** Converter notes (dropped links, extra widget values). */
  warnings: string[];
  /** What the file turned out to be, for the summary. */
  kind: 'workflow' | 'prompt' | 'png-workflow' | 'png-prompt';
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

function isApiPrompt(value: unknown): value is Prompt {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.values(value as Record<string, unknown>);
  return entries.length > 0 && entries.every((n) => !!n && typeof n === 'object' && typeof (n as { class_type?: unknown }).class_type === 'string');
}

/** Turns parsed JSON into a prompt; throws CliError (exit 2) when it is neither format. */
export function fromJson(value: unknown, registry: NodeRegistry, source: string): Omit<LoadedInput, 'kind'> & { isWorkflow: boolean } {
  // ComfyUI's "Save (API)" writes the prompt alone; some tools wrap it as {prompt: {...}}.
  const unwrapped = value && typeof value === 'object' && 'prompt' in value && isApiPrompt((value as { prompt: unknown }).prompt) ? (value as { prompt: unknown }).prompt : value;
  if (isApiPrompt(unwrapped)) return { prompt: unwrapped, workflow: null, warnings: [], isWorkflow: false };
  if (value && typeof value === 'object' && Array.isArray((value as { nodes?: unknown }).nodes)) {
    try {
      const { workflow } = parseWorkflow(value);
      const { prompt, warnings } = workflowToPrompt(workflow, registry);
      return { prompt, workflow, warnings, isWorkflow: true };
    } catch (error) {
      if (error instanceof EngineError) throw new CliError(`${source}: ${error.message}`, EXIT.invalidInput);
      throw error;
    }
  }
  throw new CliError(`${source} is neither a UI workflow (with "nodes" and "links") nor an API prompt (nodes with "class_type")`, EXIT.invalidInput);
}

/** Loads a workflow, prompt or PNG with an embedded workflow. Throws CliError (exit 2) naming the problem. */
export function loadInput(file: string, registry: NodeRegistry): LoadedInput {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, EXIT.invalidInput);
  }
  if (bytes.subarray(0, 4).equals(PNG_SIGNATURE)) {
    let text: Record<string, string>;
    try {
      text = readPngText(bytes);
    } catch (error) {
      throw new CliError(`${file}: ${(error as Error).message}`, EXIT.invalidInput);
    }
    const chunk = text.workflow ?? text.prompt;
    if (!chunk) throw new CliError(`${file} is a PNG without an embedded workflow (no "workflow" or "prompt" text chunk)`, EXIT.invalidInput);
    const loaded = fromJson(parseJson(chunk, `${file} (embedded ${text.workflow ? 'workflow' : 'prompt'})`), registry, file);
    return { ...loaded, kind: loaded.isWorkflow ? 'png-workflow' : 'png-prompt' };
  }
  const loaded = fromJson(parseJson(bytes.toString('utf8'), file), registry, file);
  return { ...loaded, kind: loaded.isWorkflow ? 'workflow' : 'prompt' };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${source} is not valid JSON: ${(error as Error).message}`, EXIT.invalidInput);
  }
}
