/**
 * The flow interpreter: a pure, deterministic state machine
 * `(flow, state, event) -> { state, commands, transitions }`. No I/O, no clock, no randomness:
 * time comes from each event's `at` (the orchestration passes `context.df.currentUtcDateTime`),
 * command ids are `${step}#${counter}`, so a replay yields identical results. The input state is
 * never mutated. Step semantics live in `steps/*.step.ts`; this file routes events, keeps timers
 * and ids, and owns the failure path: a failed command takes the step's `error` branch, else the
 * flow's apology prompt then a transfer to `fallback` (else hang up) - never dead air.
 *
 * Replay constraints relied on: handlers read only (flow, state, event); the Environment and
 * regex caches are pure memoisation.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { DateTime } from 'luxon';

import { celEnvironment, evaluate, renderJson, renderTemplate, BUILTIN_VARIABLES } from './expressions.js';
import type {
  CallState,
  FlowCommand,
  FlowEvent,
  Json,
  Outcome,
  PromptCommandItem,
  StepResult,
  Transition,
} from './model.js';
import type { Flow } from './schema.js';
import { handlerFor } from './steps/index.js';
import { toTarget, type Run } from './steps/step.js';

/** Steps a call may enter in all (a runaway guard beyond the validator's cycle checks). */
export const MAX_STEPS_PER_CALL = 1000;
/** Steps entered within one event with no caller input or result in between. */
export const MAX_AUTO_STEPS = 100;
const RECOVERY = '$recovery';
const APOLOGY: PromptCommandItem = { name: '$apology', text: 'Sorry, something went wrong on our side.' };

const envCache = new WeakMap<Flow, Environment>();

/** Every variable name a flow may use: built-ins, declared, and those steps write. */
export function flowVariableNames(flow: Flow): string[] {
  const names = new Set<string>([...BUILTIN_VARIABLES, ...Object.keys(flow.variables ?? {})]);
  for (const [name, step] of Object.entries(flow.steps))
    for (const w of handlerFor(step.type).refs(step, name).writes) names.add(w);
  return [...names];
}

/** The CEL environment of a flow (cached per flow object). */
export function flowEnvironment(flow: Flow): Environment {
  let env = envCache.get(flow);
  if (!env) {
    env = celEnvironment(flowVariableNames(flow));
    envCache.set(flow, env);
  }
  return env;
}

class CallRun implements Run {
  readonly commands: FlowCommand[] = [];
  readonly transitions: Transition[] = [];
  pendingEnter = false;
  autoSteps = 0;
  readonly state: CallState;

  constructor(
    readonly flow: Flow,
    state: CallState,
    readonly at: string,
  ) {
    this.state = {
      ...state,
      issued: [...state.issued],
      local: { ...state.local },
      vars: { ...state.vars },
      seenTones: [...state.seenTones],
    };
  }

  get env(): Environment {
    return flowEnvironment(this.flow);
  }
  get local(): { [key: string]: Json } {
    return this.state.local;
  }
  get phase(): string {
    return this.state.phase;
  }
  set phase(p: string) {
    this.state.phase = p;
  }
  emit(cmd: FlowCommand): void {
    this.commands.push(cmd);
  }
  newId(): string {
    this.state.counter += 1;
    const id = `${this.state.step}#${this.state.counter}`;
    this.state.issued.push(id);
    return id;
  }
  promptItem(name: string): PromptCommandItem {
    const p = this.flow.prompts[name];
    if (p === undefined) return { name };
    let text = p.text;
    if (text !== undefined) {
      try {
        text = this.render(text);
      } catch {
        // A caption that cannot be rendered is dropped, not fatal: the audio still plays.
        text = undefined;
      }
    }
    return {
      name,
      ...(text === undefined ? {} : { text }),
      ...(p.audio === undefined ? {} : { audioUri: p.audio }),
    };
  }
  play(names: string[], bargeIn: boolean): string {
    const id = this.newId();
    this.emit({ type: 'playPrompts', id, prompts: names.map((n) => this.promptItem(n)), bargeIn });
    return id;
  }
  subscribeTones(): void {
    if (this.state.tonesSubscribed) return;
    this.state.tonesSubscribed = true;
    this.emit({ type: 'subscribeTones', id: this.newId() });
  }
  startTimer(label: string, durationMs: number): string {
    this.cancelTimer();
    this.state.counter += 1;
    const name = `${this.state.step}.${label}#${this.state.counter}`;
    this.state.timer = name;
    this.emit({ type: 'startTimer', id: name, name, durationMs });
    return name;
  }
  cancelTimer(): void {
    if (this.state.timer === undefined) return;
    this.emit({ type: 'cancelTimer', name: this.state.timer });
    delete this.state.timer;
  }
  private leaveStep(): void {
    this.cancelTimer();
    this.state.issued = [];
    this.state.local = {};
    this.state.phase = 'entering';
  }
  goto(to: string, reason: string, input?: string): void {
    this.transitions.push({
      at: this.at,
      from: this.state.step,
      to,
      reason,
      ...(input === undefined ? {} : { input }),
    });
    this.leaveStep();
    this.state.step = to;
    this.pendingEnter = true;
  }
  retry(reason: string, input?: string): void {
    this.transitions.push({
      at: this.at,
      from: this.state.step,
      to: this.state.step,
      reason,
      ...(input === undefined ? {} : { input }),
    });
  }
  fail(code: string): void {
    const step = this.flow.steps[this.state.step] as { error?: unknown } | undefined;
    if (typeof step?.error === 'string') return this.goto(step.error, 'error', code);
    this.recover(code);
  }
  /** The failure path: apology prompt, then the fallback transfer, else hang up. */
  recover(code: string): void {
    if (this.state.step === RECOVERY) return this.end({ kind: 'failed', code }, true);
    this.transitions.push({
      at: this.at,
      from: this.state.step,
      to: RECOVERY,
      reason: 'failure',
      input: code,
    });
    this.leaveStep();
    this.pendingEnter = false;
    this.state.step = RECOVERY;
    this.state.recovery = { code, transferTried: false };
    const id = this.newId();
    const apology =
      this.flow.apologyPrompt === undefined ? APOLOGY : this.promptItem(this.flow.apologyPrompt);
    this.emit({ type: 'playPrompts', id, prompts: [apology], bargeIn: false });
    this.local.play = id;
    this.phase = 'apology';
  }
  recoveryEvent(e: FlowEvent): void {
    const rec = this.state.recovery ?? { code: 'FLOW.FAILED', transferTried: false };
    const issued = 'commandId' in e && e.commandId !== undefined && this.state.issued.includes(e.commandId);
    if (this.phase === 'apology' && (e.type === 'promptCompleted' || e.type === 'commandFailed') && issued) {
      if (this.flow.fallback === undefined) return this.end({ kind: 'failed', code: rec.code }, true);
      this.state.recovery = { ...rec, transferTried: true };
      this.emit({ type: 'transfer', id: this.newId(), target: toTarget(this.flow.fallback) });
      this.phase = 'transferring';
    } else if (this.phase === 'transferring') {
      if (e.type === 'transferAccepted' || e.type === 'transferCompleted') {
        this.end({ kind: 'transferred', target: toTarget(this.flow.fallback ?? {}) }, false);
      } else if (e.type === 'transferFailed' || (e.type === 'commandFailed' && issued)) {
        this.end({ kind: 'failed', code: rec.code }, true);
      }
    }
  }
  end(outcome: Outcome, hangup: boolean): void {
    this.cancelTimer();
    if (hangup) this.emit({ type: 'hangup', id: this.newId() });
    this.emit({ type: 'end', outcome });
    this.transitions.push({ at: this.at, from: this.state.step, to: null, reason: `end:${outcome.kind}` });
    this.state.status = 'ended';
    this.state.outcome = outcome;
    this.state.issued = [];
    this.pendingEnter = false;
  }
  vars(): Record<string, Json> {
    const dt = DateTime.fromISO(this.at, { zone: this.flow.timezone });
    this.state.vars.now = dt.isValid ? dt.toISO() : this.at;
    return this.state.vars;
  }
  setVar(name: string, value: Json): void {
    this.state.vars[name] = value;
  }
  evaluate(expr: string): Json {
    return evaluate(this.env, expr, this.vars());
  }
  render(tpl: string): string {
    return tpl.includes('${') ? renderTemplate(this.env, tpl, this.vars()) : tpl;
  }
  renderJson(value: Json): Json {
    return renderJson(this.env, value, this.vars());
  }

  /** Enters steps until one waits for something (or the call ends). */
  drain(): void {
    while (this.pendingEnter && this.state.status === 'running') {
      this.pendingEnter = false;
      this.state.entered += 1;
      this.autoSteps += 1;
      if (this.state.entered > MAX_STEPS_PER_CALL || this.autoSteps > MAX_AUTO_STEPS) {
        this.recover('FLOW.RUNAWAY');
        continue;
      }
      const step = this.flow.steps[this.state.step];
      if (step === undefined) {
        this.recover('FLOW.STEP_NOT_FOUND');
        continue;
      }
      handlerFor(step.type).enter(this, step);
    }
  }

  result(): StepResult {
    return { state: this.state, commands: this.commands, transitions: this.transitions };
  }
}

/**
 * Starts a call on `flow` (which must have passed `validateFlow`). Returns the first commands
 * (e.g. `subscribeTones` + `playPrompts`) and the `start` transition. `call.at` is ISO-8601 UTC.
 * The orchestration answers the call before executing any command other than `redirect`/`reject`.
 */
export function startCall(
  flow: Flow,
  call: { callId: string; callerNumber: string; dialledNumber: string; at: string },
): StepResult {
  const vars: Record<string, Json> = { ...(flow.variables ?? {}) };
  Object.assign(vars, {
    callerNumber: call.callerNumber,
    dialledNumber: call.dialledNumber,
    callId: call.callId,
    digits: '',
    lastChoice: '',
    now: call.at,
  });
  const state: CallState = {
    v: 1,
    flowId: flow.id,
    flowVersion: flow.version,
    callId: call.callId,
    status: 'running',
    step: flow.entry,
    phase: 'entering',
    issued: [],
    counter: 0,
    local: {},
    vars,
    tonesSubscribed: false,
    seenTones: [],
    entered: 0,
  };
  const run = new CallRun(flow, state, call.at);
  run.transitions.push({ at: call.at, from: null, to: flow.entry, reason: 'start' });
  run.pendingEnter = true;
  run.drain();
  return run.result();
}

/**
 * Applies one event to a call. Events for an ended call, stale command ids, timers that were
 * cancelled, and tones whose `sequenceId` was already seen are ignored (no commands).
 */
export function handleEvent(flow: Flow, state: CallState, event: FlowEvent): StepResult {
  if (state.status === 'ended') return { state, commands: [], transitions: [] };
  const run = new CallRun(flow, state, event.at);
  const s = run.state;
  if (event.type === 'callerHungUp') {
    run.end({ kind: 'hungUpByCaller', atStep: s.step }, false);
    return run.result();
  }
  if (event.type === 'tone') {
    if (s.seenTones.includes(event.sequenceId)) return { state, commands: [], transitions: [] };
    s.seenTones.push(event.sequenceId);
    if (s.seenTones.length > 32) s.seenTones.shift();
  }
  if (event.type === 'timerFired') {
    if (event.name !== s.timer) return { state, commands: [], transitions: [] };
    delete s.timer;
  }
  if (s.step === RECOVERY) {
    run.recoveryEvent(event);
    return run.result();
  }
  const step = flow.steps[s.step];
  if (step === undefined) {
    run.recover('FLOW.STEP_NOT_FOUND');
    return run.result();
  }
  const handler = handlerFor(step.type);
  const failed =
    event.type === 'commandFailed'
      ? { commandId: event.commandId, code: event.code }
      : event.type === 'promptCompleted' && event.status === 'failed'
        ? { commandId: event.commandId, code: 'MEDIA.PROMPT_FAILED' }
        : undefined;
  if (failed !== undefined) {
    if (!s.issued.includes(failed.commandId)) return { state, commands: [], transitions: [] };
    if (handler.onFailed) handler.onFailed(run, step, failed);
    else run.fail(failed.code);
  } else {
    handler.onEvent(run, step, event);
  }
  run.drain();
  return run.result();
}
