/**
 * `switchboard graph …`: tools for reading Microsoft Graph traffic.
 *
 * `switchboard graph parse FILE...` reads notification bodies as Graph posts them (a
 * `commsNotifications` JSON object per file) and prints one JSON line per event Switchboard
 * derives from them (shared/graph/notifications.ts: `kind`, `callId` and the event's fields;
 * `raw` only with `--raw`). A file that cannot be read or parsed prints `FILE: error: ...` on
 * stderr (no stack trace); the other files are still read, and the exit code is 1.
 */
import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';

import {
  NotificationParseError,
  parseNotificationCollection,
  withoutRaw,
} from '../../shared/graph/notifications.js';

/** Where `graph parse` writes (stdout/stderr by default; tests pass their own). */
export interface ParseOutput {
  out(line: string): void;
  err(line: string): void;
}

const stdio: ParseOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Parses each file and writes its events as JSON lines. Resolves to the exit code: 0 when every
 * file parsed, 1 when any did not.
 */
export async function runGraphParse(
  files: readonly string[],
  options: { raw?: boolean } = {},
  output: ParseOutput = stdio,
): Promise<number> {
  let code = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      output.err(`${file}: error: cannot read file (${reason})`);
      code = 1;
      continue;
    }
    let body: unknown;
    try {
      // Captures saved by Windows tools often start with a UTF-8 byte order mark.
      body = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      output.err(`${file}: error: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      code = 1;
      continue;
    }
    try {
      for (const event of parseNotificationCollection(body)) {
        const fields = options.raw === true ? event : withoutRaw(event);
        const { kind, callId, ...rest } = fields;
        output.out(JSON.stringify({ kind, callId, ...rest }));
      }
    } catch (err) {
      if (!(err instanceof NotificationParseError)) throw err;
      output.err(`${file}: error: ${err.message}`);
      code = 1;
    }
  }
  return code;
}

/** Registers the `graph` subcommands. */
export function registerGraphCommands(program: Command): void {
  const graph = program.command('graph').description('Microsoft Graph tools');
  graph
    .command('parse')
    .description('print the events Switchboard derives from Graph notification bodies, one JSON line each')
    .argument('<files...>', 'files holding a commsNotifications body as Graph posts it')
    .option('--raw', 'include each notification verbatim (raw)')
    .action(async (files: string[], opts: { raw?: boolean }) => {
      const code = await runGraphParse(files, { raw: opts.raw === true });
      if (code !== 0) process.exitCode = code;
    });
}
