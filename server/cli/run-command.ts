// `npm run cli -- run <file>`: load, override, validate and execute a workflow with the engine in-process (no
// server), show progress on stderr, then print where the outputs are and a summary of what ran and was cached.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { validatePrompt, type ExecutionResult, type Prompt, type ValidationResult } from '../engine/index.js';
import type { RunArgs } from './args.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { expandImagePaths, outputFolderNames } from './image-list.js';
import { loadInput, type LoadedInput } from './load-input.js';
import { applySets } from './overrides.js';
import { ProgressReporter } from './progress.js';
import { seedSampleInputs } from './sample-inputs.js';
import { createCliHost, isModelFailure, type CliHost } from './host.js';

/** The output files of a run, as absolute paths, in output-node order. */
function outputFiles(host: CliHost, result: ExecutionResult): string[] {
  const files: string[] = [];
  for (const ui of Object.values(result.outputs)) {
    for (const image of ui.images ?? []) files.push(host.files.resolve(image.type, image.subfolder, image.filename));
  }
  return files;
}

function describeValidation(prompt: Prompt, validation: ValidationResult): string[] {
  const lines: string[] = [];
  if (validation.error) lines.push(`${validation.error.message}${validation.error.details ? `: ${validation.error.details}` : ''}`);
  for (const [id, entry] of Object.entries(validation.node_errors)) {
    const title = prompt[id]?._meta?.title ?? entry.class_type;
    for (const e of entry.errors) lines.push(`  #${id} ${title}: ${e.message}${e.details ? ` (${e.details})` : ''}`);
  }
  return lines;
}

/** Sends the loaded picture to every Load Image node; throws CliError when there is none or the file is bad. */
function useImage(host: CliHost, prompt: Prompt, file: string): string {
  const loaders = Object.values(prompt).filter((node) => node.class_type === 'LoadImage');
  if (loaders.length === 0) throw new CliError(`--image: the workflow has no Load Image node to give ${file} to`, EXIT.invalidInput);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new CliError(`--image: cannot read ${file}: ${(error as Error).message}`, EXIT.invalidInput);
  }
  const ref = host.files.saveUpload(bytes, path.basename(file), '', 'input', false);
  const name = ref.subfolder ? `${ref.subfolder}/${ref.filename}` : ref.filename;
  for (const node of loaders) node.inputs.image = name;
  return name;
}

/** What one run printed for --json: what ran, what was cached, the files, the failures and the times. */
interface RunSummary {
  image?: string;
  status: ExecutionResult['status'];
  ran: Array<{ node: string; title: string; ms: number }>;
  cached: string[];
  outputs: string[];
  failures: Array<{ node: string; type: string; message: string }>;
  /** What nodes said about their run (their `text` output), e.g. words the model does not know. */
  notes: Array<{ node: string; text: string }>;
  total_ms: number;
  onnx_ms: number;
  provider: string;
}

/** How bad an exit code is, so a batch exits with its worst run's code. */
const SEVERITY: ExitCode[] = [EXIT.ok, EXIT.executionError, EXIT.invalidInput, EXIT.modelProblem, EXIT.interrupted];
const worse = (a: ExitCode, b: ExitCode): ExitCode => (SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a);

interface RunPlan {
  host: CliHost;
  loaded: LoadedInput;
  args: RunArgs;
  signal: AbortSignal;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Validates and executes the workflow once (on `image` when given), copying its files to `outDir`. */
async function runOnce(plan: RunPlan, image: string | null, outDir: string | null): Promise<{ code: ExitCode; summary: RunSummary | null }> {
  const { host, loaded, args, err } = plan;
  // Each picture starts from the file as loaded: the engine's cache, not the prompt, carries work between runs.
  const prompt = structuredClone(loaded.prompt);
  if (image) useImage(host, prompt, image);
  applySets(prompt, loaded.workflow, args.sets, host.registry);

  const validation = await validatePrompt(prompt, host.registry, host.services);
  if (!validation.ok) {
    err.write(`the workflow is not valid:\n${describeValidation(prompt, validation).join('\n')}\n`);
    const modelOnly = Object.values(validation.node_errors).every((e) => e.class_type === 'KontextModelLoader');
    return { code: Object.keys(validation.node_errors).length > 0 && modelOnly ? EXIT.modelProblem : EXIT.invalidInput, summary: null };
  }
  const dropped = Object.keys(validation.node_errors).length > 0;
  if (dropped) err.write(`some outputs cannot run and are skipped:\n${describeValidation(prompt, validation).join('\n')}\n`);

  const runnable = (validation as ValidationResult & { prompt?: Prompt }).prompt ?? prompt;
  const reporter = new ProgressReporter(err, runnable, !args.quiet);
  const started = performance.now();
  const onnxBefore = host.onnxMs();
  const result = await host.executor.execute(runnable, {
    promptId: randomUUID(),
    outputs: validation.outputs,
    extraData: loaded.workflow ? { extra_pnginfo: { workflow: loaded.workflow } } : {},
    signal: plan.signal,
    emit: (event) => reporter.onEvent(event),
  });
  reporter.finish();
  const totalMs = performance.now() - started;
  const onnxMs = host.onnxMs() - onnxBefore;

  let files = outputFiles(host, result);
  if (outDir && files.length > 0) {
    fs.mkdirSync(outDir, { recursive: true });
    files = files.map((file) => {
      const target = path.join(path.resolve(outDir), path.basename(file));
      fs.copyFileSync(file, target);
      return target;
    });
  }

  const titled = (id: string): string => `${runnable[id]?._meta?.title ?? runnable[id]?.class_type ?? id} #${id}`;
  const summary: RunSummary = {
    ...(image !== null && { image }),
    status: result.status,
    ran: result.executed.map((id) => ({ node: id, title: titled(id), ms: Math.round(result.timings?.[id] ?? 0) })),
    cached: result.cached.map(titled),
    outputs: files,
    failures: result.failures.map((f) => ({ node: f.node_id, type: f.node_type, message: f.message })),
    notes: Object.entries(result.outputs).flatMap(([id, ui]) => (Array.isArray(ui?.text) ? ui.text.map((text) => ({ node: titled(id), text: String(text) })) : [])),
    total_ms: Math.round(totalMs),
    onnx_ms: Math.round(onnxMs),
    provider: host.provider(),
  };
  if (!args.quiet) {
    const ran = summary.ran.map((r) => `${r.title} ${r.ms} ms`).join(', ');
    err.write(`ran ${summary.ran.length} node(s)${ran ? `: ${ran}` : ''}\n`);
    err.write(`cached ${summary.cached.length} node(s)${summary.cached.length ? `: ${summary.cached.join(', ')}` : ''}\n`);
    err.write(`${result.status} in ${(totalMs / 1000).toFixed(2)} s (${(onnxMs / 1000).toFixed(2)} s in onnxruntime on ${summary.provider}); ${files.length} file(s) written\n`);
  }
  for (const note of summary.notes) err.write(`note: ${note.node}: ${note.text}\n`);
  for (const failure of result.failures) err.write(`failed: ${titled(failure.node_id)}: ${failure.message}\n`);

  if (result.status === 'interrupted') return { code: EXIT.interrupted, summary };
  if (result.status === 'error') return { code: result.failures.some((f) => isModelFailure(f)) ? EXIT.modelProblem : EXIT.executionError, summary };
  return { code: dropped ? EXIT.invalidInput : EXIT.ok, summary };
}

/**
 * Runs the command; returns the exit code (see exit-codes.ts), for a batch of pictures the worst of its runs.
 * Throws CliError for bad input.
 */
export async function runCommand(args: RunArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream & { isTTY?: boolean }): Promise<ExitCode> {
  const host = await createCliHost({ dataDir: args.dataDir, device: args.device, modelsDirs: args.modelsDirs, log: (m) => err.write(`${m}\n`), ...(args.threads !== null && { intraOpThreads: args.threads }) });
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    err.write('\ninterrupting (press Ctrl-C again to quit at once)\n');
    controller.abort(new Error('interrupted by the user'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    seedSampleInputs(host.files);
    const loaded = loadInput(args.file, host.registry);
    for (const warning of loaded.warnings) err.write(`note: ${warning}\n`);
    const images = expandImagePaths(args.images);
    const plan: RunPlan = { host, loaded, args, signal: controller.signal, err };
    if (images.length <= 1) {
      const { code, summary } = await runOnce(plan, images[0] ?? null, args.out);
      if (summary) out.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : summary.outputs.map((f) => `${f}\n`).join(''));
      return code;
    }
    // A batch: each picture's files go to a folder of its own name under --out, so outputs map back to inputs.
    const folders = outputFolderNames(images);
    const summaries: RunSummary[] = [];
    let code: ExitCode = EXIT.ok;
    for (const [i, image] of images.entries()) {
      if (!args.quiet) err.write(`[${i + 1}/${images.length}] ${image}\n`);
      const run = await runOnce(plan, image, args.out && path.join(args.out, folders[i]!));
      code = worse(code, run.code);
      if (run.summary) {
        summaries.push(run.summary);
        if (!args.json) out.write(run.summary.outputs.map((f) => `${f}\n`).join(''));
      }
      // A broken graph or model fails every picture alike; an interrupt means stop.
      if (run.code === EXIT.interrupted || run.code === EXIT.modelProblem || !run.summary) break;
    }
    if (args.json) out.write(`${JSON.stringify(summaries, null, 2)}\n`);
    if (!args.quiet) {
      const failed = summaries.filter((s) => s.status !== 'success').length;
      err.write(`${summaries.length - failed} of ${images.length} picture(s) edited${failed ? `, ${failed} failed` : ''}\n`);
    }
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await host.close();
  }
}
