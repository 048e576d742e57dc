/**
 * The flow interpreter's data: call state, events in, commands out, transitions and outcomes.
 * All plain JSON (the state is stored in Durable history and custom status; commands are
 * activity inputs). Times are ISO-8601 UTC strings supplied by the caller (the orchestration
 * passes `context.df.currentUtcDateTime`); durations are integers in milliseconds (`...Ms`).
 */
export type { Flow, Step, StepOf, StepType, Scenario, TargetSpec } from './schema.js';

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Transfer / redirect target (Graph `invitationParticipantInfo` identity). */
export type Target =
  | { kind: 'user'; aadId: string }
  | { kind: 'phone'; number: string /* E.164 */ }
  | { kind: 'application'; appId: string };

/** A prompt to play: `name` (the flow's prompt name), caption/TTS `text`, WAV `audioUri`. */
export interface PromptCommandItem {
  name: string;
  text?: string;
  audioUri?: string;
}

/**
 * What the call must do next. `id` is deterministic (`${stepName}#${counter}`): the orchestration
 * passes it to Graph as `clientContext` and completion events echo it back as `commandId`.
 * `end` is always last when present.
 */
export type FlowCommand =
  | { type: 'playPrompts'; id: string; prompts: PromptCommandItem[]; bargeIn: boolean }
  | { type: 'subscribeTones'; id: string }
  /** Barge-in: stop the prompt of `playPrompts` command `id` (Graph cancelMediaProcessing). */
  | { type: 'cancelMedia'; id: string }
  /** A durable timer; `id === name`; `timerFired {name}` comes back unless `cancelTimer {name}`. */
  | { type: 'startTimer'; id: string; name: string; durationMs: number }
  | { type: 'cancelTimer'; name: string }
  | { type: 'transfer'; id: string; target: Target }
  | { type: 'redirect'; id: string; target: Target }
  | { type: 'reject'; id: string; reason: 'busy' | 'none' }
  | {
      type: 'record';
      id: string;
      prompt?: PromptCommandItem;
      maxDurationMs: number;
      playBeep: boolean;
      stopTones: string[];
      initialSilenceTimeoutMs: number;
      maxSilenceTimeoutMs: number;
    }
  | {
      type: 'httpRequest';
      id: string;
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      url: string;
      headers: Record<string, string>;
      body?: Json;
      timeoutMs: number;
    }
  | { type: 'hangup'; id: string }
  | { type: 'end'; outcome: Outcome };

/** Commands by type. */
export type CommandOf<T extends FlowCommand['type']> = Extract<FlowCommand, { type: T }>;

/** What happened on the call. Every event carries `at` (ISO-8601 UTC). */
export type FlowEvent = { at: string } & (
  | { type: 'promptCompleted'; commandId: string; status: 'completed' | 'failed' | 'canceled' }
  | { type: 'tone'; key: string; sequenceId: number | string }
  | { type: 'timerFired'; name: string }
  | { type: 'transferAccepted'; commandId?: string }
  | { type: 'transferCompleted'; commandId?: string }
  | { type: 'transferFailed'; commandId?: string; code?: string }
  | {
      type: 'recordingCompleted';
      commandId: string;
      recordingLocation?: string;
      durationMs?: number;
      /** `completed`, or `failed` (any other value counts as failed). */
      status: string;
    }
  | { type: 'httpResult'; commandId: string; status: number; body: Json }
  | { type: 'callerHungUp' }
  | { type: 'commandFailed'; commandId: string; code: string; message: string }
);
/** Events by type. */
export type EventOf<T extends FlowEvent['type']> = Extract<FlowEvent, { type: T }>;

/** How a call ended. */
export type Outcome =
  | { kind: 'transferred'; target: Target }
  | { kind: 'voicemail'; recordingLocation?: string }
  | { kind: 'hungUpByCaller'; atStep: string }
  | { kind: 'completed' }
  | { kind: 'rejected'; reason: 'busy' | 'none' }
  | { kind: 'redirected'; target: Target }
  | { kind: 'failed'; code: string };

/** One recorded move for the call timeline: `from` -> `to` because of `reason` (and `input`). */
export interface Transition {
  at: string;
  from: string | null;
  /** The step entered, or `null` when the call ended. */
  to: string | null;
  /** Edge label: `next`, `option:2`, `noInput`, `noMatch`, `open`, `case:0`, `error`, `end:<kind>`... */
  reason: string;
  /** The caller input or result that caused it (a key, digits, HTTP status), if any. */
  input?: string;
}

/** Interpreter state for one call. Plain JSON; treat as immutable. */
export interface CallState {
  v: 1;
  flowId: string;
  flowVersion: number;
  callId: string;
  status: 'running' | 'ended';
  /** Current step, or `$recovery` while the failure path (apology, fallback transfer) runs. */
  step: string;
  /** Step-specific phase (`prompting`, `waiting`, `transferring`...). */
  phase: string;
  /** Command ids issued by the current step that may still complete or fail. */
  issued: string[];
  /** The timer the current step waits on (its name), if any. */
  timer?: string;
  /** Counter behind command ids. */
  counter: number;
  /** Step-local scratch (attempt counts, digit buffer). Reset on each step entry. */
  local: { [key: string]: Json };
  /** Built-in and flow variables. */
  vars: { [key: string]: Json };
  tonesSubscribed: boolean;
  /** Last tone sequence ids seen (bounded), to drop duplicates. */
  seenTones: (string | number)[];
  /** Steps entered so far (a runaway guard). */
  entered: number;
  /** Set while on the failure path: the code that led there, whether the fallback was tried. */
  recovery?: { code: string; transferTried: boolean };
  recordingLocation?: string;
  outcome?: Outcome;
}

/** What `startCall` and `handleEvent` return. */
export interface StepResult {
  state: CallState;
  commands: FlowCommand[];
  transitions: Transition[];
}

/** Renders a target for people: `+14255550100`, `user 1234…`, `application abc`. */
export function renderTarget(t: Target): string {
  switch (t.kind) {
    case 'phone':
      return t.number;
    case 'user':
      return `user ${t.aadId}`;
    case 'application':
      return `application ${t.appId}`;
  }
}

/** Renders an outcome: `transferred to +1…`, `voicemail`, `hung up by caller`, `failed (CODE)`. */
export function renderOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'transferred':
      return `transferred to ${renderTarget(o.target)}`;
    case 'voicemail':
      return 'voicemail';
    case 'hungUpByCaller':
      return 'hung up by caller';
    case 'completed':
      return 'completed';
    case 'rejected':
      return `rejected (${o.reason})`;
    case 'redirected':
      return `redirected to ${renderTarget(o.target)}`;
    case 'failed':
      return `failed (${o.code})`;
  }
}
