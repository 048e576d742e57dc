import type { Command } from 'commander';

/** Registers the `graph` subcommands (owned by their area; see its issue). */
export function registerGraphCommands(_program: Command): void {}
