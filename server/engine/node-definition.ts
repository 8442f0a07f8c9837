// The one declaration type every node is written in. Framework-free: nodes/ imports this, never the reverse.

/** Widget value types; any other `type` string is a socket type (IMAGE, LATENT, ...). */
export type WidgetType = 'INT' | 'FLOAT' | 'STRING' | 'BOOLEAN' | 'COMBO';

/** One input of a node: a typed socket, or a widget with its constraints. */
export interface InputSpec {
  type: WidgetType | string;
  default?: unknown;
  min?: number;
  max?: number;
  step?: number;
  round?: number | false;
  /** COMBO choices; a function is re-evaluated on every object_info / validation (uploaded files, bundles). */
  choices?: readonly string[] | (() => readonly string[]);
  multiline?: boolean;
  tooltip?: string;
  display?: 'slider' | 'number';
  /** A widget type that must arrive through a link (ComfyUI's forceInput). */
  forceInput?: boolean;
  /** Load Image's picker: the client shows upload controls for this combo. */
  imageUpload?: boolean;
}

export interface OutputSpec {
  type: string;
  name: string;
  isList?: boolean;
  tooltip?: string;
}

/** What an output node shows in the UI, sent in `executed` and stored in history. */
export interface UiOutput {
  images?: Array<{ filename: string; subfolder: string; type: 'output' | 'temp' | 'input' }>;
  animated?: boolean[];
  text?: string[];
  [key: string]: unknown;
}

/** Preview image pushed while a node runs (per-step previews of a denoise). */
export interface PreviewImage {
  format: 'jpeg' | 'png';
  data: Uint8Array;
}

/**
 * Services the host injects into node contexts (file areas, model registry, ...). Declared empty here and
 * extended by module augmentation in nodes/services.ts so the engine stays independent of them.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NodeServices {}

export interface NodeContext {
  nodeId: string;
  classType: string;
  promptId: string;
  /** Aborted on interrupt: long nodes check it between steps and throw `signal.reason`. */
  signal: AbortSignal;
  progress(value: number, max: number): void;
  preview(image: PreviewImage): void;
  services: NodeServices;
  /** The whole prompt and the client's extra_data (SaveImage embeds them in PNGs). */
  prompt: Readonly<Record<string, unknown>>;
  extraData: Readonly<Record<string, unknown>>;
}

/** What `run` returns: one value per declared output, and what to show in the UI. */
export interface NodeResult {
  outputs: unknown[];
  ui?: UiOutput;
}

export type NodeInputs = Record<string, unknown>;

export interface NodeDefinition {
  /** Stable class id (ComfyUI's class_type); never renamed once shipped. */
  id: string;
  displayName: string;
  category: string;
  description: string;
  inputs: {
    required: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, string>;
  };
  outputs: OutputSpec[];
  outputNode?: boolean;
  /** False for nodes whose result may differ on identical inputs: never cached. Default true. */
  deterministic?: boolean;
  /** Hash of external state the inputs do not capture (Load Image: the file's content hash). */
  fingerprint?(inputs: NodeInputs, services: NodeServices): string | Promise<string>;
  /** Extra checks on widget values (literal inputs only: linked ones are absent); a returned string is a custom_validation_failed message. */
  validate?(inputs: NodeInputs, services: NodeServices): string | null | Promise<string | null>;
  run(ctx: NodeContext, inputs: NodeInputs): Promise<NodeResult> | NodeResult;
}

/** Identity helper that keeps literal types while checking the shape. */
export function defineNode(def: NodeDefinition): NodeDefinition {
  return def;
}
