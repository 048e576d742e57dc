/**
 * Runs the Graph simulator on its own, for demos and for CLIs in other processes that drive it
 * through `/sim/...`:
 *
 *   node --import tsx local/graph-sim/main.ts --bot-app-id APP --secret S --callback http://127.0.0.1:7071/api/calling
 *
 * Prints one JSON line with the URLs the bot needs (`url`, `graphBaseUrl`, `tokenEndpoint`,
 * `authorityHost`, `openIdConfigurationUrl`, `tenantId`), then serves until SIGINT/SIGTERM.
 * Bad options give `graph-sim: error: ...` on stderr and exit code 2, never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createSimClock, startGraphSimulator } from './index.js';
import type { GraphSimulator } from './index.js';

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0`);
    return n;
  };
}

/** Parses `argv` (as `process.argv`), starts the simulator and returns it. Throws CommanderError on bad options. */
export async function runFromArgs(argv: readonly string[]): Promise<GraphSimulator> {
  const program = new Command('graph-sim')
    .description('Local Microsoft Graph calls simulator')
    .requiredOption('--bot-app-id <id>', "the bot's app (client) id")
    .option('--secret <secret>', 'client secret the token endpoint requires (any secret when omitted)')
    .option('--tenant <id>', 'tenant id')
    .option('--port <port>', 'port (0 = any free one)', positiveNumber('--port'), 0)
    .option('--callback <url>', "the bot's calling webhook (loopback)")
    .option('--speed <factor>', 'simulated time speed factor', positiveNumber('--speed'), 1)
    .option('--prompts <dir>', 'directory for relative prompt URIs')
    .option('--ringing-timeout-ms <ms>', 'ringing timeout', positiveNumber('--ringing-timeout-ms'), 15_000)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(`graph-sim: ${s.replace(/^error: /, 'error: ')}`),
    });
  program.parse([...argv]);
  const o = program.opts<{
    botAppId: string;
    secret?: string;
    tenant?: string;
    port: number;
    callback?: string;
    speed: number;
    prompts?: string;
    ringingTimeoutMs: number;
  }>();
  if (o.speed <= 0) throw new InvalidArgumentError('--speed must be > 0');
  return startGraphSimulator({
    botAppId: o.botAppId,
    ...(o.secret === undefined ? {} : { botClientSecret: o.secret }),
    ...(o.tenant === undefined ? {} : { tenantId: o.tenant }),
    ...(o.callback === undefined ? {} : { defaultCallbackUri: o.callback }),
    ...(o.prompts === undefined ? {} : { promptBaseDir: o.prompts }),
    port: o.port,
    clock: createSimClock({ speed: o.speed }),
    ringingTimeoutMs: o.ringingTimeoutMs,
  });
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  runFromArgs(process.argv).then(
    (sim) => {
      process.stdout.write(
        `${JSON.stringify({
          url: sim.url,
          graphBaseUrl: sim.graphBaseUrl,
          tokenEndpoint: sim.tokenEndpoint,
          authorityHost: sim.authorityHost,
          openIdConfigurationUrl: sim.openIdConfigurationUrl,
          tenantId: sim.tenantId,
        })}\n`,
      );
      const stop = (): void => {
        void sim.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: unknown) => {
      if (!(err instanceof CommanderError))
        process.stderr.write(`graph-sim: error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof CommanderError && err.exitCode === 0 ? 0 : 2);
    },
  );
}
