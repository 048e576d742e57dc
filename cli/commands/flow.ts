import type { Command } from 'commander';

/** Registers the `flow` subcommands (owned by their area; see its issue). */
export function registerFlowCommands(_program: Command): void {}
