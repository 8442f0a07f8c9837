// `npm run cli -- <command>`: run workflows and inspect model bundles from a terminal, with the engine
// in-process. Exit codes are documented in server/cli/exit-codes.ts and in --help.
import { parseArgs, USAGE } from './cli/args.js';
import { CliError, EXIT } from './cli/exit-codes.js';
import { modelsCommand } from './cli/models-command.js';
import { runCommand } from './cli/run-command.js';

async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (args.command === 'models') return await modelsCommand(args, process.stdout, process.stderr);
    return await runCommand(args, process.stdout, process.stderr);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`);
      return error.code;
    }
    process.stderr.write(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.executionError;
  }
}

process.exitCode = await main(process.argv.slice(2));
