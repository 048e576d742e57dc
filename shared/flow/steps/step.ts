/**
 * The uniform interface every step type implements (one module per type, `*.step.ts`), and the
 * `Run` a handler works on. Handlers are pure: they read the flow and the event, and act only
 * through `Run` (which records commands and transitions on a private copy of the state).
 * Replay constraints: no clock (time is `run.at`), no randomness, no I/O.
 */
import type { Environment } from '@marcbachmann/cel-js';

import type {
  CallState,
  FlowCommand,
  FlowEvent,
  Json,
  Outcome,
  Step,
  StepOf,
  StepType,
  Target,
  Transition,
} from '../model.js';
import type { Flow, TargetSpec } from '../schema.js';

/** A path inside the flow document, e.g. `['steps', 'mainMenu', 'options', '1']`. */
export type DocPath = (string | number)[];

/**
 * An outgoing edge of a step. `kind` says what makes the call take it: `auto` (nothing: it
 * follows at once), `input` (a caller key), `timer` (a timeout), `result` (an operation's result:
 * a transfer failing, an HTTP answer, a recording ending).
 */
export interface Edge {
  to: string;
  label: string;
  kind: 'auto' | 'input' | 'timer' | 'result';
  /** Where the reference is written (for line:col). */
  path: DocPath;
}

/** What a step refers to, for the validator: prompts, CEL expressions/templates, variables written. */
export interface StepRefs {
  prompts: { path: DocPath; name: string }[];
  expressions: { path: DocPath; source: string; kind: 'expression' | 'condition' | 'template' }[];
  writes: string[];
}

/** A semantic problem a step's own check reports (located by `path`). */
export interface StepProblem {
  path: DocPath;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

/** What a handler may do to the call while the interpreter runs it. */
export interface Run {
  readonly flow: Flow;
  readonly state: CallState;
  readonly at: string;
  readonly env: Environment;
  /** Emits a command (ids come from `newId`). */
  emit(cmd: FlowCommand): void;
  /** A fresh deterministic command id `${step}#${counter}`, remembered as issued by this step. */
  newId(): string;
  /** Plays prompts by name (texts rendered as templates); returns the command id. */
  play(names: string[], bargeIn: boolean): string;
  /** Emits `subscribeTones` once per call. */
  subscribeTones(): void;
  /** Starts the step's timer (`label` names it); cancels a previous one. Returns its name. */
  startTimer(label: string, durationMs: number): string;
  /** Cancels the step's running timer, if any. */
  cancelTimer(): void;
  /** Moves to step `to` because of `reason` (an edge label), after caller/result `input`. */
  goto(to: string, reason: string, input?: string): void;
  /** Records a retry inside the current step (reprompt) on the timeline. */
  retry(reason: string, input?: string): void;
  /** Takes the step's `error` branch, or the flow's failure path (apology, fallback, hang up). */
  fail(code: string): void;
  /** Ends the call with `outcome` (emitting `hangup` first when `hangup`). */
  end(outcome: Outcome, hangup: boolean): void;
  /** Variables (built-ins and the flow's) for expressions. */
  vars(): Record<string, Json>;
  setVar(name: string, value: Json): void;
  /** Evaluates a CEL expression; throws AppError FLOW.EXPRESSION_FAILED. */
  evaluate(expr: string): Json;
  /** Renders a `${}` template; throws AppError FLOW.EXPRESSION_FAILED. */
  render(tpl: string): string;
  renderJson(value: Json): Json;
  /** Step-local scratch. */
  local: { [key: string]: Json };
  /** The phase of the current step. */
  phase: string;
}

/**
 * One step type. `enter` runs when the call reaches the step; `onEvent` gets the events that
 * concern it (tones not seen before, timers it started, completions of commands it issued);
 * `onFailed` a failure of a command it issued (default: `run.fail`).
 */
export interface StepHandler<K extends StepType> {
  readonly type: K;
  /** True when the step puts media on the call (so the call must be answered before it). */
  readonly answers: boolean;
  /** True when the step can end the call itself (hang up, transfer, or its failure path). */
  terminal(step: StepOf<K>): boolean;
  edges(step: StepOf<K>, name: string): Edge[];
  refs(step: StepOf<K>, name: string): StepRefs;
  /** Type-specific checks beyond the schema. */
  check?(step: StepOf<K>, name: string, flow: Flow): StepProblem[];
  enter(run: Run, step: StepOf<K>): void;
  onEvent(run: Run, step: StepOf<K>, event: FlowEvent): void;
  onFailed?(run: Run, step: StepOf<K>, event: { commandId: string; code: string }): void;
}

/** The error edge every step with `error:` has. */
export function errorEdge(name: string, step: { error?: string }): Edge[] {
  return step.error === undefined
    ? []
    : [{ to: step.error, label: 'error', kind: 'result', path: ['steps', name, 'error'] }];
}

/** Turns the schema's target (`{phone}` / `{user}` / `{application}`) into a command target. */
export function toTarget(t: TargetSpec): Target {
  if (t.phone !== undefined) return { kind: 'phone', number: t.phone };
  if (t.user !== undefined) return { kind: 'user', aadId: t.user };
  return { kind: 'application', appId: t.application ?? '' };
}

/** Empty refs, for building. */
export function refs(): StepRefs {
  return { prompts: [], expressions: [], writes: [] };
}

export type { Step, Transition };
