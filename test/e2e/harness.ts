/**
 * End-to-end harness: plays a flow scenario (`flows/*.yaml` tests) as a real call through the local
 * stack (scripted caller in the Graph simulator -> calling webhook -> `call` orchestration ->
 * simulator) and reads back what happened: the Graph requests the simulator saw, the call record,
 * the orchestration's outcome.
 *
 * Scenario `at` (the call's start time) matters to `checkHours`; the orchestration takes time from
 * Durable's `currentUtcDateTime`, i.e. this process's clock. {@link shiftClock} moves `Date` for the
 * whole process (host, task hub, simulator, tokens alike, so they stay consistent), like
 * libfaketime; timers (`setTimeout`) are untouched. Shift it only while no stack is running.
 */
import { renderOutcome, type Flow, type Outcome, type Scenario } from '../../shared/flow/index.js';
import type { CallRecord } from '../../shared/store/index.js';
import type { RecordedRequest, SimCall, TranscriptEntry } from '../../local/graph-sim/index.js';
import type { Stack } from '../../local/stack.js';
import { callerSteps } from '../../cli/commands/call-script.js';
import { simulate } from '../../shared/flow/index.js';

const RealDate = Date;
let offsetMs = 0;

/** Replaces `Date` so that "now" runs `offsetMs` from the real clock (idempotent). */
export function installClockShift(): void {
  if ((globalThis.Date as unknown) !== RealDate) return;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else super(...(args as [string]));
    }
    static override now(): number {
      return RealDate.now() + offsetMs;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}

/**
 * Makes "now" equal `iso` (it then runs on in real time). Only while no stack is running: a jump
 * under running timers, cached tokens and leases is not what a real clock does.
 */
export function shiftClock(iso: string): void {
  offsetMs = RealDate.parse(iso) - RealDate.now();
}

/** Graph actions the interpreter's commands map to (request path suffix). */
const ACTION_OF: Record<string, string | undefined> = {
  playPrompts: 'playPrompt',
  transfer: 'transfer',
  redirect: 'redirect',
  reject: 'reject',
  record: 'recordResponse',
};

/** What a scenario run end to end produced. */
export interface E2eRun {
  scenario: Scenario;
  callId: string;
  call: SimCall;
  record: CallRecord | undefined;
  outcome: Outcome | undefined;
  outcomeText: string;
  /** Prompt names heard, recognised from their text in the flow. */
  prompts: string[];
  /** Successful Graph requests (2xx) of the kinds the interpreter commands, as action names. */
  graphActions: string[];
  /** The same, predicted from the interpreter's commands for this scenario. */
  expectedGraphActions: string[];
  requests: RecordedRequest[];
  failures: string[];
}

function promptMatcher(flow: Flow): (text: string | undefined, uri: string) => string {
  const entries = Object.entries(flow.prompts ?? {}).map(([name, p]) => {
    const t = (p as { text?: string }).text ?? '';
    const audio = (p as { audio?: string }).audio;
    const re = new RegExp(
      `^${t
        .split(/\$\{[^}]*\}/)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      's',
    );
    return { name, re, audio };
  });
  return (text, uri) =>
    entries.find((e) => (text !== undefined && e.re.test(text)) || (uri !== '' && e.audio === uri))?.name ??
    `?${text ?? uri}`;
}

/** The action name of a Graph request path (`…/calls/{id}/playPrompt` -> `playPrompt`). */
export function actionOf(r: RecordedRequest): string {
  const m = /\/communications\/calls\/[^/]+(?:\/(.+))?$/.exec(r.path);
  if (!m) return r.path;
  return m[1] ?? (r.method === 'DELETE' ? 'hangUp' : r.method);
}

async function durableOutcome(stack: Stack, callId: string, timeoutMs: number): Promise<Outcome | undefined> {
  const deadline = RealDate.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${stack.url}/runtime/webhooks/durabletask/instances/${callId}`);
    if (res.status === 200) {
      const body = (await res.json()) as { runtimeStatus: string; output: { outcome?: Outcome } | null };
      if (body.runtimeStatus === 'Completed') return body.output?.outcome;
      if (body.runtimeStatus === 'Failed' || body.runtimeStatus === 'Terminated') return undefined;
    } else await res.arrayBuffer();
    if (RealDate.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Options of {@link runE2e}. */
export interface E2eOptions {
  /** Dialled number when the scenario names none (the flow's bound number). */
  number: string;
  /** Caller number when the scenario names none (make it unique per concurrent call). */
  callerNumber: string;
  /** Real ms to wait for the call to end (default 90 000). */
  timeoutMs?: number;
  /** Extra steps after the scenario's (e.g. a hang-up for a test). */
  extraSteps?: Parameters<typeof callerSteps>[0];
}

/**
 * Plays `scenario` of `flow` as a call through `stack` and compares path, prompts and outcome with
 * the scenario's expectations (`failures`; variables are not observable end to end and are not
 * compared). Stubs become: `http` -> demo-service rules keyed by the caller number (or the step's
 * path); `transfer: failed` -> every transfer target fails; `failSteps` -> the step's first Graph
 * request answers 503 on every attempt (the Graph client's 3 retries included);
 * `recording.duration` -> the caller speaks that long.
 */
export async function runE2e(stack: Stack, flow: Flow, scenario: Scenario, o: E2eOptions): Promise<E2eRun> {
  const callerNumber = scenario.callerNumber ?? o.callerNumber;
  const dialled = scenario.dialledNumber ?? o.number;
  const predicted = simulate(flow, { ...scenario, callerNumber, dialledNumber: dialled });
  const undo: (() => void)[] = [];
  for (const [stepName, answer] of Object.entries(scenario.stubs?.http ?? {})) {
    const step = flow.steps[stepName] as
      { url: string; method: string; headers?: unknown; body?: unknown } | undefined;
    if (step === undefined) continue;
    const url = new URL(step.url.replace(/\$\{[^}]*\}/g, 'x'));
    const mentionsCaller = JSON.stringify([step.url, step.headers ?? null, step.body ?? null]).includes(
      'callerNumber',
    );
    undo.push(
      stack.services.program({
        host: url.hostname,
        method: step.method,
        pathPrefix: url.pathname.split('/x')[0] ?? url.pathname,
        ...(mentionsCaller ? { contains: callerNumber } : {}),
        answer: { status: answer.status ?? 200, body: answer.body },
      }),
    );
  }
  const steps = callerSteps({ ...scenario, callerNumber, dialledNumber: dialled }, flow);
  const call = await stack.sim.placeCall({ from: callerNumber, to: dialled, steps });
  const failStep = scenario.stubs?.failSteps?.[0];
  if (failStep !== undefined) {
    const first = predicted.commands.find(
      (c) =>
        'id' in c && c.id.startsWith(`${failStep}#`) && c.type !== 'startTimer' && c.type !== 'cancelMedia',
    );
    const action = first
      ? (ACTION_OF[first.type] ?? (first.type === 'subscribeTones' ? 'subscribeToTone' : first.type))
      : 'playPrompt';
    stack.sim.faults.request({
      kind: 'unavailable',
      method: 'POST',
      path: `/calls/${call.id}/${action}$`,
      count: 4,
    });
  }
  let watching = true;
  const watcher =
    scenario.stubs?.transfer === 'failed'
      ? (async () => {
          let seen = -1;
          while (watching) {
            const n = call.transcript.filter((e) => e.type === 'transfer').length;
            if (n !== seen) {
              seen = n;
              await stack.sim
                .runSteps(call.id, [{ type: 'transferTarget', outcome: 'fail', afterMs: 25 }])
                .catch(() => undefined);
            }
            // Re-arm quickly: a failed branch may send the next transfer within a few ms.
            await new Promise((r) => setTimeout(r, 2));
          }
        })()
      : Promise.resolve();
  const timeoutMs = o.timeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    call.ended().then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  watching = false;
  await watcher;
  const outcome = ended ? await durableOutcome(stack, call.id, 15_000) : undefined;
  for (const u of undo) u();
  const record = await stack.store.calls.get(call.id);
  const heard = promptMatcher(flow);
  const prompts = call.transcript
    .filter((e): e is Extract<TranscriptEntry, { type: 'promptStarted' }> => e.type === 'promptStarted')
    .map((e) => heard(e.text, e.uri));
  const requests = stack.sim.requests(call.id);
  const kinds = new Set(Object.values(ACTION_OF));
  const graphActions = requests.filter((r) => (r.status ?? 0) < 300 && kinds.has(actionOf(r))).map(actionOf);
  const expectedGraphActions = predicted.commands
    .filter((c) => !('id' in c) || !scenario.stubs?.failSteps?.some((s) => c.id.startsWith(`${s}#`)))
    .flatMap((c) => {
      const a = ACTION_OF[c.type];
      if (a === undefined) return [];
      return [a];
    });
  const outcomeText = outcome
    ? renderOutcome(outcome)
    : ended
      ? 'ended without an orchestration outcome'
      : 'did not end';
  const failures: string[] = [];
  const x = scenario.expect;
  const path = record?.path ?? [];
  if (x.path !== undefined && JSON.stringify(x.path) !== JSON.stringify(path))
    failures.push(`path: expected ${x.path.join(' > ')}\n          got      ${path.join(' > ')}`);
  if (x.prompts !== undefined && JSON.stringify(x.prompts) !== JSON.stringify(prompts))
    failures.push(`prompts: expected ${x.prompts.join(', ')}\n             got      ${prompts.join(', ')}`);
  const expectedOutcome = x.outcome ?? predicted.outcomeText;
  if (expectedOutcome !== outcomeText)
    failures.push(`outcome: expected "${expectedOutcome}", got "${outcomeText}"`);
  if (JSON.stringify(graphActions) !== JSON.stringify(expectedGraphActions))
    failures.push(
      `graph requests: expected ${expectedGraphActions.join(', ')}\n                  got      ${graphActions.join(', ')}`,
    );
  return {
    scenario,
    callId: call.id,
    call,
    record,
    outcome,
    outcomeText,
    prompts,
    graphActions,
    expectedGraphActions,
    requests,
    failures,
  };
}
