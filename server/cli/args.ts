// Command-line parsing for `npm run cli -- <command> ...`: small and explicit, with messages that name the flag.
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';

export const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  run <workflow.json | image.png>   run a UI or API workflow (a PNG saved by the app carries its workflow)
  models                            list the model bundles and check their files

Options for run:
  --set <node>.<input>=<value>   change an input before running (repeatable); <node> is a node id, a node title
                                 or a class type used by exactly one node, e.g. --set 6.value=0.3
                                 --set KontextTextEncode.instruction="make it snow"
  --image <path>                 use this picture for every Load Image node (copied into the data dir's input/);
                                 repeat it, or name a folder, to run once per picture (model and text encoding
                                 load once); --out then gets a folder per picture, named after it
  --out <dir>                    copy the output files into this folder
  --data-dir <dir>               input/, output/ and temp/ (default ./data; KONTINUOUS_DATA_DIR)
  --device <d>                   auto | cpu | cuda | webgpu (default auto; KONTINUOUS_DEVICE)
  --models-dir <dir>             an extra folder of model bundles (repeatable)
  --threads <n>                  threads per onnxruntime operator (default: one per core)
  --json                         print a JSON summary on stdout instead of the output paths
  --quiet                        no progress bar

Options for models:
  --check                        verify every file's checksum and the graphs' inputs (slower)
  --models-dir <dir>, --device <d>, --json as above

${EXIT_CODES_HELP}`;

export interface RunArgs {
  command: 'run';
  file: string;
  sets: Array<{ node: string; input: string; value: string }>;
  /** Pictures or folders of pictures for Load Image; empty: the workflow's own. */
  images: string[];
  out: string | null;
  dataDir: string | null;
  device: string | null;
  modelsDirs: string[];
  threads: number | null;
  json: boolean;
  quiet: boolean;
}

export interface ModelsArgs {
  command: 'models';
  check: boolean;
  device: string | null;
  modelsDirs: string[];
  json: boolean;
}

export type CliArgs = RunArgs | ModelsArgs | { command: 'help' };

const VALUE_FLAGS = new Set(['set', 'image', 'out', 'data-dir', 'device', 'models-dir', 'threads']);
const BOOL_FLAGS = new Set(['json', 'quiet', 'check']);
const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'];

function bad(message: string): CliError {
  return new CliError(`${message}\n\n${USAGE}`, EXIT.invalidInput);
}

/** Splits "node.input=value" (the value may contain '=' and '.'); throws CliError for anything else. */
export function parseSet(text: string): { node: string; input: string; value: string } {
  const eq = text.indexOf('=');
  const target = eq < 0 ? '' : text.slice(0, eq);
  const dot = target.lastIndexOf('.');
  if (eq < 0 || dot <= 0 || dot === target.length - 1) {
    throw bad(`--set expects <node>.<input>=<value>, got "${text}"`);
  }
  return { node: target.slice(0, dot), input: target.slice(dot + 1), value: text.slice(eq + 1) };
}

/** Parses argv (without node and script); throws CliError (exit 2) naming the bad argument. */
export function parseArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command !== 'run' && command !== 'models') throw bad(`unknown command "${command}"`);
  const positional: string[] = [];
  const values: Record<string, string[]> = {};
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h') return { command: 'help' };
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      positional.push(arg);
      continue;
    }
    const name = match[1]!;
    if (BOOL_FLAGS.has(name)) {
      if (match[2] !== undefined) throw bad(`--${name} takes no value`);
      flags.add(name);
    } else if (VALUE_FLAGS.has(name)) {
      const value = match[2] ?? rest[++i];
      if (value === undefined) throw bad(`--${name} needs a value`);
      (values[name] ??= []).push(value);
    } else {
      throw bad(`unknown option "--${name}"`);
    }
  }
  const single = (name: string): string | null => {
    const list = values[name];
    if (!list) return null;
    if (list.length > 1) throw bad(`--${name} was given ${list.length} times`);
    return list[0]!;
  };
  const device = single('device');
  if (device !== null && !DEVICES.includes(device)) throw bad(`--device must be one of ${DEVICES.join(', ')}, got "${device}"`);
  const modelsDirs = values['models-dir'] ?? [];
  if (command === 'models') {
    if (positional.length > 0) throw bad(`models takes no file argument (got "${positional[0]}")`);
    for (const name of ['set', 'image', 'out', 'data-dir', 'threads']) if (values[name]) throw bad(`--${name} is an option of run, not models`);
    if (flags.has('quiet')) throw bad('--quiet is an option of run, not models');
    return { command, check: flags.has('check'), device, modelsDirs, json: flags.has('json') };
  }
  if (flags.has('check')) throw bad('--check is an option of models, not run');
  const threadsText = single('threads');
  const threads = threadsText === null ? null : Number(threadsText);
  if (threads !== null && (!Number.isInteger(threads) || threads < 1 || threads > 256)) throw bad(`--threads must be a whole number from 1 to 256, got "${threadsText}"`);
  if (positional.length !== 1) throw bad(positional.length === 0 ? 'run needs a workflow file' : `run takes one workflow file, got ${positional.length}`);
  return {
    command,
    file: positional[0]!,
    sets: (values.set ?? []).map(parseSet),
    images: values.image ?? [],
    out: single('out'),
    dataDir: single('data-dir'),
    device,
    modelsDirs,
    threads,
    json: flags.has('json'),
    quiet: flags.has('quiet'),
  };
}
