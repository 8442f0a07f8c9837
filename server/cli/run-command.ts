// `npm run cli -- run <file>`: load, override, validate and execute a workflow with the engine in-process (no
// server), show progress on stderr, then print where the outputs are and a summary of what ran and was cached.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { validatePrompt, type ExecutionResult, type Prompt, type ValidationResult } from '../engine/index.js';
import type { RunArgs } from './args.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { loadInput } from './load-input.js';
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

/** Runs the command; returns the exit code (see exit-codes.ts). Throws CliError for bad input. */
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
    const prompt = loaded.prompt;
    if (args.image) useImage(host, prompt, args.image);
    applySets(prompt, loaded.workflow, args.sets, host.registry);

    const validation = await validatePrompt(prompt, host.registry, host.services);
    if (!validation.ok) {
      err.write(`the workflow is not valid:\n${describeValidation(prompt, validation).join('\n')}\n`);
      const modelOnly = Object.values(validation.node_errors).every((e) => e.class_type === 'KontextModelLoader');
      return Object.keys(validation.node_errors).length > 0 && modelOnly ? EXIT.modelProblem : EXIT.invalidInput;
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
      signal: controller.signal,
      emit: (event) => reporter.onEvent(event),
    });
    reporter.finish();
    const totalMs = performance.now() - started;
    const onnxMs = host.onnxMs() - onnxBefore;

    let files = outputFiles(host, result);
    if (args.out && files.length > 0) {
      fs.mkdirSync(args.out, { recursive: true });
      files = files.map((file) => {
        const target = path.join(path.resolve(args.out!), path.basename(file));
        fs.copyFileSync(file, target);
        return target;
      });
    }

    const titled = (id: string): string => `${runnable[id]?._meta?.title ?? runnable[id]?.class_type ?? id} #${id}`;
    const summary = {
      status: result.status,
      ran: result.executed.map((id) => ({ node: id, title: titled(id), ms: Math.round(result.timings?.[id] ?? 0) })),
      cached: result.cached.map(titled),
      outputs: files,
      failures: result.failures.map((f) => ({ node: f.node_id, type: f.node_type, message: f.message })),
      total_ms: Math.round(totalMs),
      onnx_ms: Math.round(onnxMs),
      provider: host.provider(),
    };
    if (args.json) out.write(`${JSON.stringify(summary, null, 2)}\n`);
    else for (const file of files) out.write(`${file}\n`);
    if (!args.quiet) {
      const ran = summary.ran.map((r) => `${r.title} ${r.ms} ms`).join(', ');
      err.write(`ran ${summary.ran.length} node(s)${ran ? `: ${ran}` : ''}\n`);
      err.write(`cached ${summary.cached.length} node(s)${summary.cached.length ? `: ${summary.cached.join(', ')}` : ''}\n`);
      err.write(`${result.status} in ${(totalMs / 1000).toFixed(2)} s (${(onnxMs / 1000).toFixed(2)} s in onnxruntime on ${summary.provider}); ${files.length} file(s) written\n`);
    }
    for (const failure of result.failures) err.write(`failed: ${titled(failure.node_id)}: ${failure.message}\n`);

    if (result.status === 'interrupted') return EXIT.interrupted;
    if (result.status === 'error') return result.failures.some((f) => isModelFailure(f)) ? EXIT.modelProblem : EXIT.executionError;
    return dropped ? EXIT.invalidInput : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await host.close();
  }
}
