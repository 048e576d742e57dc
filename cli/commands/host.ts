/**
 * `switchboard start | demo | call`: running Switchboard on this machine (issue 5, "Running it").
 *
 * - `start` (`npm start`): starts the local stack (`local/stack.ts`), waits until
 *   `GET /api/health` answers, prints the URLs, the bound numbers and how to place a call, and
 *   runs until Ctrl-C (SIGINT/SIGTERM: graceful stop).
 * - `demo` (`npm run demo`): the stack on free ports in a temporary data folder, one demo call per
 *   flow (a scenario of the flow's own tests, with the path and outcome the interpreter predicts
 *   for the current time), each printed; exit 0 when every call ended as its flow says.
 * - `call NUMBER --press KEYS`: a simulated call through a running stack (see `call.ts`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { AppError } from '../../shared/errors/app-error.js';
import { parseDuration, simulate, type Flow, type Scenario } from '../../shared/flow/index.js';
import { loadFlowFile } from '../../shared/flow/node/load.js';
import type { Stack, StackOptions } from '../../local/stack.js';
import { callExitCode, callReportJson, placeCall, renderCallReport, type CallReport } from './call.js';

/** Where the host commands write (stdout/stderr by default; tests pass their own). */
export interface HostOutput {
  out(text: string): void;
  err(text: string): void;
}

const stdio: HostOutput = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function durationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new InvalidArgumentError('must be a duration like 60s, 2m or 500ms');
  }
}

function scaleOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

/** Polls `GET /api/health` until it answers 200; throws `HOST.NOT_READY` after `timeoutMs`. */
export async function waitForHealth(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new AppError('HOST.NOT_READY', `${url}/api/health did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The banner `switchboard start` prints once the stack is up. */
export function startBanner(
  stack: Pick<Stack, 'url' | 'simUrl' | 'idpUrl' | 'dataDir' | 'numbers' | 'flows'>,
): string {
  const first = stack.numbers[0]?.number ?? '+14255550100';
  const lines = [
    'Switchboard is running locally.',
    `  Functions host   ${stack.url}  (health: ${stack.url}/api/health, calling webhook: ${stack.url}/api/calling)`,
    `  Durable HTTP API ${stack.url}/runtime/webhooks/durabletask/instances`,
    `  Graph simulator  ${stack.simUrl}  (control API: ${stack.simUrl}/sim/calls)`,
    `  Web console      ${stack.url}/api/console/  (flow editor and ops console; sign in with a local role)`,
    `  Identity (APIs)  ${stack.idpUrl}  (tokens: npx switchboard login --role Reader)`,
    `  Data folder      ${stack.dataDir}`,
    'Flows:',
    ...stack.flows.map((f) => `  ${f.flowId} v${f.version}${f.published ? ' (published now)' : ''}`),
    'Numbers:',
    ...stack.numbers.map((n) => `  ${n.number} -> ${n.flowId} v${n.version}`),
    'Place a call:',
    `  npx switchboard call ${first} --press "w 2 w 123456#"`,
    'Press Ctrl-C to stop.',
  ];
  return lines.join('\n');
}

/** `switchboard start`: resolves when the stack has stopped after SIGINT/SIGTERM (or `stopSignal`). */
export async function runStart(
  options: StackOptions,
  output: HostOutput = stdio,
  stopSignal?: Promise<void>,
): Promise<number> {
  const { startStack } = await import('../../local/stack.js');
  const stack = await startStack(options);
  try {
    await waitForHealth(stack.url);
    output.out(startBanner(stack));
    await (stopSignal ??
      new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      }));
    output.out('Stopping…');
  } finally {
    await stack.stop();
  }
  return 0;
}

/** One demo call: the scenario used and what the interpreter predicts now. */
export interface DemoPlan {
  flowId: string;
  number: string;
  scenario: string;
  press: string;
  expectedPath: string[];
  expectedOutcome: string;
}

/**
 * Picks, for `flow`, the first scenario of its tests that needs no stubs, fixed time or special
 * numbers, and predicts its path and outcome at `now` with the interpreter (`simulate`).
 */
export function planDemoCall(
  flow: Flow,
  scenarios: readonly Scenario[],
  number: string,
  now: Date,
): DemoPlan {
  const plain = scenarios.find(
    (s) =>
      s.stubs === undefined &&
      s.at === undefined &&
      s.hangUp === undefined &&
      s.callerNumber === undefined &&
      s.dialledNumber === undefined,
  ) ?? { name: 'silent caller', expect: {} };
  const predict = (press: string): ReturnType<typeof simulate> =>
    simulate(flow, {
      ...plain,
      press,
      at: now.toISOString(),
      callerNumber: '+14255550199',
      dialledNumber: number,
    });
  let press = plain.press ?? '';
  let run = predict(press);
  // Out of hours the scenario's keys may land in a voicemail greeting; a demo caller then just
  // leaves a message (the simulated caller speaks once a recording listens).
  if (press !== '' && run.path.some((step) => flow.steps[step]?.type === 'record')) {
    press = '';
    run = predict(press);
  }
  return {
    flowId: flow.id,
    number,
    scenario: press === (plain.press ?? '') ? plain.name : `${plain.name} (out of hours: leaves a message)`,
    press,
    expectedPath: run.path,
    expectedOutcome: run.outcomeText,
  };
}

/** `switchboard demo`: resolves to the exit code (0 when every call ended as predicted). */
export async function runDemo(
  options: { projectDir?: string; clockScale?: number; timeoutMs?: number },
  output: HostOutput = stdio,
): Promise<number> {
  const { startStack } = await import('../../local/stack.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-demo-'));
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const flowsDir = path.join(projectDir, 'flows');
  const stack = await startStack({
    port: 0,
    dataDir,
    projectDir,
    clockScale: options.clockScale ?? 10,
    quiet: true,
  });
  let failures = 0;
  try {
    await waitForHealth(stack.url);
    output.out(`Demo stack: host ${stack.url}, simulator ${stack.simUrl}`);
    for (const f of stack.flows) {
      const loaded = loadFlowFile(f.file);
      const number = stack.numbers.find((n) => n.flowId === f.flowId)?.number;
      if (loaded.flow === undefined || number === undefined) continue;
      const plan = planDemoCall(
        loaded.flow,
        loaded.scenarios.map((s) => s.scenario),
        number,
        new Date(),
      );
      output.out(`\n== ${plan.flowId}: "${plan.scenario}" (press "${plan.press}")`);
      let report: CallReport;
      try {
        report = await placeCall({
          number,
          press: plan.press,
          hostUrl: stack.url,
          simUrl: stack.simUrl,
          flowsDir,
          idpUrl: stack.idpUrl,
          timeoutMs: options.timeoutMs ?? 60_000,
        });
      } catch (err) {
        failures += 1;
        output.err(`  error: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      output.out(renderCallReport(report));
      const pathOk =
        report.stepsSource !== 'call-record' || report.steps.join('>') === plan.expectedPath.join('>');
      const ok = report.ended && report.outcome === plan.expectedOutcome && pathOk;
      output.out(
        ok
          ? `  as the flow says: ${plan.expectedOutcome}`
          : `  NOT as the flow says: expected ${plan.expectedPath.join(' > ')} / ${plan.expectedOutcome}`,
      );
      if (!ok) failures += 1;
    }
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  output.out(
    failures === 0 ? '\nDemo passed.' : `\nDemo: ${failures} call(s) did not end as their flow says.`,
  );
  return failures === 0 ? 0 : 1;
}

/** The simulator URL the client commands use: `SWITCHBOARD_SIM_URL`, else the host's port + 1. */
export function simUrlFor(hostUrl: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SWITCHBOARD_SIM_URL) return env.SWITCHBOARD_SIM_URL.replace(/\/+$/, '');
  const u = new URL(hostUrl);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return `${u.protocol}//${u.hostname}:${port + 1}`;
}

/** The identity provider URL the client commands use: `SWITCHBOARD_IDP_URL`, else the host's port + 2. */
export function idpUrlFor(hostUrl: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SWITCHBOARD_IDP_URL) return env.SWITCHBOARD_IDP_URL.replace(/\/+$/, '');
  const u = new URL(hostUrl);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return `${u.protocol}//${u.hostname}:${port + 2}`;
}

/** Registers `start`, `demo` and `call`. */
export function registerHostCommands(program: Command): void {
  program
    .command('start')
    .description(
      'run Switchboard locally: host, Graph simulator, store, Azurite; flows published and numbers bound',
    )
    .option('--port <port>', 'host port (default PORT or 7071; 0 = any free port)', portOption)
    .option('--sim-port <port>', 'Graph simulator port (default host port + 1)', portOption)
    .option('--data-dir <dir>', 'data folder (default SWITCHBOARD_DATA_DIR or .data)')
    .option('--flows <dir>', 'flows folder', 'flows')
    .option('--clock-scale <n>', 'simulator clock speed (1 = real time)', scaleOption, 1)
    .option('--quiet', 'only warnings and errors from the functions')
    .action(
      async (o: {
        port?: number;
        simPort?: number;
        dataDir?: string;
        flows: string;
        clockScale: number;
        quiet?: boolean;
      }) => {
        process.exitCode = await runStart({
          ...(o.port === undefined ? {} : { port: o.port }),
          ...(o.simPort === undefined ? {} : { simPort: o.simPort }),
          ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }),
          flowsDir: o.flows,
          clockScale: o.clockScale,
          quiet: o.quiet === true,
        });
      },
    );

  program
    .command('demo')
    .description('start a throwaway local stack, place one demo call per flow, print them, stop')
    .option('--clock-scale <n>', 'simulator clock speed', scaleOption, 10)
    .option('--timeout <duration>', 'per call', durationOption, 60_000)
    .action(async (o: { clockScale: number; timeout: number }) => {
      process.exitCode = await runDemo({ clockScale: o.clockScale, timeoutMs: o.timeout });
    });

  program
    .command('call')
    .description('place a simulated call through the running local stack and print what happened')
    .argument('<number>', 'dialled number, E.164 (e.g. +14255550100)')
    .option(
      '--press <keys>',
      'caller keys: digits * #, w = wait for the prompt, w2s = pause, h = hang up',
      '',
    )
    .option('--from <number>', 'caller number, E.164', '+14255550199')
    .option('--timeout <duration>', 'give up after', durationOption, 60_000)
    .option('--flows <dir>', 'flows folder used to time "w" by the prompts', 'flows')
    .option('--json', 'print { callId, outcome, steps, prompts, keys, graphRequests, durationMs } as JSON')
    .action(
      async (
        number: string,
        o: { press: string; from: string; timeout: number; flows: string; json?: boolean },
      ) => {
        const hostUrl = (process.env.SWITCHBOARD_URL || 'http://127.0.0.1:7071').replace(/\/+$/, '');
        const report = await placeCall({
          number,
          press: o.press,
          from: o.from,
          timeoutMs: o.timeout,
          hostUrl,
          simUrl: simUrlFor(hostUrl),
          idpUrl: idpUrlFor(hostUrl),
          ...(fs.existsSync(o.flows) ? { flowsDir: o.flows } : {}),
        });
        stdio.out(o.json ? JSON.stringify(callReportJson(report), null, 2) : renderCallReport(report));
        process.exitCode = callExitCode(report);
      },
    );
}
