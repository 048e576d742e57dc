import type { Command } from 'commander';

/** Registers the `host` subcommands (owned by their area; see its issue). */
export function registerHostCommands(_program: Command): void {}
