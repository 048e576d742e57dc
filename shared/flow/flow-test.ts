/**
 * Flow tests: the scenario model and a runner that plays a scenario against the interpreter on a
 * virtual clock, with an in-memory stand-in for Graph (prompts take `promptDuration` each, timers
 * fire, transfers / HTTP / recordings answer as stubbed). Milliseconds per scenario, no I/O.
 * A later end-to-end runner can replay the same `Scenario`s against the Graph simulator: the
 * caller script (`parsePress`) and the expectations (`checkExpectations`) are shared.
 *
 * Caller script (`press`): space-separated tokens - a key `0-9 * # A-D` (several in one token
 * are pressed 200 ms apart), `w` waits until the IVR is listening (no prompt playing, no
 * operation pending), `w2s` pauses 2 s, `h` hangs up. After the script the caller stays silent.
 */
import { AppError } from '../errors/app-error.js';
import { parseDuration } from './duration.js';
import { flowEdges } from './graph.js';
import { handleEvent, startCall } from './interpreter.js';
import {
  renderOutcome,
  type CallState,
  type FlowCommand,
  type FlowEvent,
  type Json,
  type Outcome,
  type StepResult,
  type Transition,
} from './model.js';
import type { Flow, Scenario } from './schema.js';

/** Default scenario call start: a Wednesday, 16:00 UTC. */
export const DEFAULT_AT = '2026-01-07T16:00:00Z';
/** Gap between keys pressed in one token. */
export const KEY_GAP_MS = 200;
const MAX_EVENTS = 5000;
const MAX_CALL_MS = 4 * 3600_000;

/** One caller action. */
export type PressToken =
  { kind: 'key'; key: string } | { kind: 'waitIdle' } | { kind: 'pause'; ms: number } | { kind: 'hangUp' };

/** Parses a `press` script. Throws `AppError('FLOW.BAD_PRESS')` naming the bad token. */
export function parsePress(press: string): PressToken[] {
  const out: PressToken[] = [];
  for (const tok of press.trim().split(/\s+/).filter(Boolean)) {
    if (tok === 'w') out.push({ kind: 'waitIdle' });
    else if (tok === 'h') out.push({ kind: 'hangUp' });
    else if (/^w[0-9]+(ms|s|m)$/.test(tok)) out.push({ kind: 'pause', ms: parseDuration(tok.slice(1)) });
    else if (/^[0-9*#A-D]+$/.test(tok)) for (const k of tok) out.push({ kind: 'key', key: k });
    else
      throw new AppError(
        'FLOW.BAD_PRESS',
        `press: "${tok.slice(0, 20)}" is not a key (0-9 * # A-D), w, w<duration> or h`,
      );
  }
  return out;
}

/** What a scenario run observed. */
export interface ScenarioRun {
  path: string[];
  prompts: string[];
  outcome?: Outcome;
  outcomeText: string;
  transitions: Transition[];
  commands: FlowCommand[];
  variables: Record<string, Json>;
  /** Virtual call length, ms. */
  callMs: number;
}

/** A scenario's verdict. */
export interface ScenarioResult extends ScenarioRun {
  name: string;
  passed: boolean;
  failures: string[];
}

const stepOf = (id: string): string => id.slice(0, Math.max(0, id.lastIndexOf('#')));

/** Plays `scenario` against `flow` (validated). Throws AppError FLOW.BAD_PRESS on a bad script. */
export function simulate(flow: Flow, scenario: Scenario): ScenarioRun {
  const stubs = scenario.stubs ?? {};
  const promptMs = stubs.promptDuration === undefined ? 2000 : parseDuration(stubs.promptDuration);
  const failSteps = new Set(stubs.failSteps ?? []);
  const tokens = parsePress(scenario.press ?? '');
  const start = Date.parse(scenario.at ?? DEFAULT_AT);
  const iso = (t: number): string => new Date(start + t).toISOString();

  let t = 0;
  let seq = 0;
  let toneSeq = 0;
  const queue: { t: number; seq: number; key: string; event: FlowEvent }[] = [];
  const schedule = (at: number, key: string, event: FlowEvent): void => {
    queue.push({ t: at, seq: seq++, key, event });
    queue.sort((a, b) => a.t - b.t || a.seq - b.seq);
  };
  const unschedule = (key: string): void => {
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.key === key) queue.splice(i, 1);
  };
  let playing: string | null = null;
  const pendingOps = new Set<string>();
  const prompts: string[] = [];
  const transitions: Transition[] = [];
  const commands: FlowCommand[] = [];
  let promptsStarted = 0;
  if (scenario.hangUp?.after !== undefined)
    schedule(parseDuration(scenario.hangUp.after), 'hangup', { type: 'callerHungUp', at: '' });

  const execute = (cmds: FlowCommand[]): void => {
    for (const c of cmds) {
      commands.push(c);
      if (
        'id' in c &&
        c.type !== 'startTimer' &&
        c.type !== 'cancelMedia' &&
        failSteps.has(stepOf(c.id)) &&
        c.type !== 'hangup'
      ) {
        schedule(t + 10, c.id, {
          type: 'commandFailed',
          commandId: c.id,
          code: 'GRAPH.STUBBED_FAILURE',
          message: 'failed by the scenario',
          at: '',
        });
        continue;
      }
      switch (c.type) {
        case 'playPrompts': {
          for (const p of c.prompts) {
            prompts.push(p.name);
            promptsStarted++;
            if (scenario.hangUp?.afterPrompt === promptsStarted)
              schedule(t + 1, 'hangup', { type: 'callerHungUp', at: '' });
          }
          playing = c.id;
          schedule(t + promptMs * c.prompts.length, c.id, {
            type: 'promptCompleted',
            commandId: c.id,
            status: 'completed',
            at: '',
          });
          break;
        }
        case 'cancelMedia':
          if (playing === c.id) {
            unschedule(c.id);
            playing = null;
            schedule(t, c.id, { type: 'promptCompleted', commandId: c.id, status: 'canceled', at: '' });
          }
          break;
        case 'startTimer':
          schedule(t + c.durationMs, c.name, { type: 'timerFired', name: c.name, at: '' });
          break;
        case 'cancelTimer':
          unschedule(c.name);
          break;
        case 'transfer':
          pendingOps.add(c.id);
          schedule(
            t + 500,
            c.id,
            stubs.transfer === 'failed'
              ? { type: 'transferFailed', commandId: c.id, code: 'TRANSFER.DECLINED', at: '' }
              : { type: 'transferAccepted', commandId: c.id, at: '' },
          );
          break;
        case 'httpRequest': {
          pendingOps.add(c.id);
          const stub = stubs.http?.[stepOf(c.id)];
          const status = stub?.status ?? 200;
          schedule(
            t + 50,
            c.id,
            status === 0
              ? {
                  type: 'commandFailed',
                  commandId: c.id,
                  code: 'HTTP.NETWORK',
                  message: 'stubbed network failure',
                  at: '',
                }
              : { type: 'httpResult', commandId: c.id, status, body: (stub?.body ?? {}) as Json, at: '' },
          );
          break;
        }
        case 'record': {
          pendingOps.add(c.id);
          if (c.prompt) {
            prompts.push(c.prompt.name);
            promptsStarted++;
          }
          const r = stubs.recording ?? {};
          const dur = r.duration === undefined ? 10_000 : parseDuration(r.duration);
          schedule(t + (c.prompt ? promptMs : 0) + dur, c.id, {
            type: 'recordingCompleted',
            commandId: c.id,
            status: r.status ?? 'completed',
            recordingLocation: r.location ?? `https://recordings.example/${flow.id}/${iso(0)}.wav`,
            durationMs: dur,
            at: '',
          });
          break;
        }
        default:
          break;
      }
    }
  };
  const apply = (r: StepResult): CallState => {
    transitions.push(...r.transitions);
    execute(r.commands);
    return r.state;
  };

  let state = apply(
    startCall(flow, {
      callId: `test-${flow.id}`,
      callerNumber: scenario.callerNumber ?? '+14255550199',
      dialledNumber: scenario.dialledNumber ?? '+14255550100',
      at: iso(0),
    }),
  );
  let ti = 0;
  let callerAt = 0;
  const idle = (): boolean => playing === null && pendingOps.size === 0;
  const advanceCaller = (): void => {
    while (ti < tokens.length) {
      const tok = tokens[ti]!;
      if (tok.kind === 'waitIdle') {
        if (!idle()) return;
        callerAt = Math.max(callerAt, t);
      } else if (tok.kind === 'pause') callerAt = Math.max(callerAt, t) + tok.ms;
      else return;
      ti++;
    }
  };
  for (let n = 0; n < MAX_EVENTS && state.status === 'running'; n++) {
    advanceCaller();
    const head = queue[0];
    const next = tokens[ti];
    const callerNext =
      next !== undefined && (next.kind === 'key' || next.kind === 'hangUp')
        ? Math.max(callerAt, t)
        : undefined;
    if (head === undefined && callerNext === undefined) break;
    let event: FlowEvent;
    if (head !== undefined && (callerNext === undefined || head.t <= callerNext)) {
      queue.shift();
      t = head.t;
      event = { ...head.event, at: iso(t) };
      if ('commandId' in event && event.commandId !== undefined) {
        pendingOps.delete(event.commandId);
        if (event.type === 'promptCompleted' && playing === event.commandId) playing = null;
      }
    } else {
      t = callerNext!;
      ti++;
      callerAt = t + KEY_GAP_MS;
      event =
        next!.kind === 'key'
          ? { type: 'tone', key: next!.key, sequenceId: ++toneSeq, at: iso(t) }
          : { type: 'callerHungUp', at: iso(t) };
    }
    if (t > MAX_CALL_MS) break;
    state = apply(handleEvent(flow, state, event));
  }
  const path = transitions.filter((x) => x.to !== null && !x.reason.endsWith(':retry')).map((x) => x.to!);
  return {
    path,
    prompts,
    ...(state.outcome === undefined ? {} : { outcome: state.outcome }),
    outcomeText:
      state.outcome === undefined
        ? `still running at step "${state.step}" (dead air)`
        : renderOutcome(state.outcome),
    transitions,
    commands,
    variables: state.vars,
    callMs: t,
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Compares a run with a scenario's `expect`; returns failure messages (empty = passed). */
export function checkExpectations(scenario: Scenario, run: ScenarioRun): string[] {
  const f: string[] = [];
  const x = scenario.expect;
  if (x.path !== undefined && !same(x.path, run.path))
    f.push(`path: expected ${x.path.join(' > ')}\n          got      ${run.path.join(' > ')}`);
  if (x.prompts !== undefined && !same(x.prompts, run.prompts))
    f.push(`prompts: expected ${x.prompts.join(', ')}\n             got      ${run.prompts.join(', ')}`);
  if (x.outcome !== undefined && x.outcome !== run.outcomeText)
    f.push(`outcome: expected "${x.outcome}", got "${run.outcomeText}"`);
  for (const [k, v] of Object.entries(x.variables ?? {}))
    if (!same(v, run.variables[k]))
      f.push(`variable ${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(run.variables[k] ?? null)}`);
  if (run.outcome === undefined && x.outcome === undefined) f.push(run.outcomeText);
  return f;
}

/** Runs one scenario and checks it. Never throws: a bad script is a failure. */
export function runScenario(flow: Flow, scenario: Scenario): ScenarioResult {
  try {
    const run = simulate(flow, scenario);
    const failures = checkExpectations(scenario, run);
    return { name: scenario.name, passed: failures.length === 0, failures, ...run };
  } catch (err) {
    const message =
      err instanceof AppError
        ? `${err.code}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    return {
      name: scenario.name,
      passed: false,
      failures: [message],
      path: [],
      prompts: [],
      outcomeText: 'not run',
      transitions: [],
      commands: [],
      variables: {},
      callMs: 0,
    };
  }
}

/** Branch coverage: which edges (`step --label--> step`) the scenarios took. */
export interface Coverage {
  edges: number;
  covered: string[];
  uncovered: string[];
}

/** Runs all scenarios and computes branch coverage over the flow's edges. */
export function runScenarios(
  flow: Flow,
  scenarios: readonly Scenario[],
): { results: ScenarioResult[]; coverage: Coverage } {
  const results = scenarios.map((s) => runScenario(flow, s));
  const taken = new Set<string>();
  for (const r of results)
    for (const tr of r.transitions)
      if (tr.from !== null && tr.to !== null) taken.add(`${tr.from} --${tr.reason}--> ${tr.to}`);
  const all = [...new Set(flowEdges(flow).map((e) => `${e.from} --${e.label}--> ${e.to}`))];
  return {
    results,
    coverage: {
      edges: all.length,
      covered: all.filter((e) => taken.has(e)),
      uncovered: all.filter((e) => !taken.has(e)),
    },
  };
}
