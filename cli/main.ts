/**
 * The `switchboard` command line: one commander program, each area registering its own
 * subcommands from `cli/commands/*.ts`. Errors reach the user as one line and an exit code,
 * never a stack trace.
 */
import { Command, CommanderError } from 'commander';

import { registerApiCommands } from './commands/api.js';
import { registerFlowCommands } from './commands/flow.js';
import { registerGraphCommands } from './commands/graph.js';
import { registerHostCommands } from './commands/host.js';
import { AppError } from '../shared/errors/app-error.js';

/** Builds the program (exported for tests, which drive it with `exitOverride`). */
export function buildProgram(): Command {
  const program = new Command('switchboard')
    .description('Switchboard: IVR call flows for Microsoft Teams calling bots')
    .showHelpAfterError()
    .exitOverride();
  registerFlowCommands(program);
  registerGraphCommands(program);
  registerHostCommands(program);
  registerApiCommands(program);
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`) and resolves to the process exit code: 0 success,
 * 1 a failed check (validation errors, failing flow tests, a call that ended unexpectedly),
 * 2 a usage or unexpected error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    const message = err instanceof AppError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`switchboard: error: ${message}\n`);
    if (process.env.SWITCHBOARD_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
