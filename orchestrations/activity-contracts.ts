/**
 * The call orchestration's activities by name, with their input and output shapes, and a typed
 * facade to call them (../shared/STYLE.md practice 3: orchestrator files import activity names and
 * types only; implementations live in `activities/*.activity.ts` and do the I/O).
 *
 * Everything here is plain JSON (it crosses the Durable activity boundary and is stored in
 * history). Times are ISO-8601 UTC strings, durations integers in milliseconds.
 *
 * Errors: activities throw only for faults worth a Durable retry (store or storage unreachable)
 * and for programming errors; expected call outcomes (Graph refused a command, the call is gone)
 * are values in the results (practice 8).
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';

import type { Flow, FlowCommand, Json, Outcome, Transition } from '../shared/flow/index.js';

/** Name of the per-call orchestration (instance id = Graph call id). */
export const CALL_ORCHESTRATION = 'call';

/** Event name under which the calling webhook raises Graph notifications into the instance. */
export const GRAPH_EVENT = 'graph';

/**
 * External event an operator raises to end a call (the ops API's terminate route): the `call`
 * orchestration handles it in every wait, hangs up through Graph and records outcome
 * `terminated` through `finishCall`.
 */
export const TERMINATE_EVENT = 'terminate';

/** Data of the {@link TERMINATE_EVENT} event: who asked (a user id or name) and why (free text). */
export interface TerminateEventData {
  by: string;
  reason: string;
}

/** A call ended by an operator (not an interpreter outcome: the flow did not decide it). */
export interface TerminatedOutcome {
  kind: 'terminated';
  by: string;
  reason: string;
}

/** How a call ended: the interpreter's outcome, or ended by an operator. */
export type CallEndOutcome = Outcome | TerminatedOutcome;

/** Activity function names. */
export const ActivityName = {
  resolveFlow: 'resolveFlow',
  rejectCall: 'rejectCall',
  answerCall: 'answerCall',
  runCommands: 'runCommands',
  keepAlive: 'keepAlive',
  saveRecording: 'saveRecording',
  finishCall: 'finishCall',
} as const;

/** The orchestration's input, as the calling webhook starts it. */
export interface CallOrchestrationInput {
  /** Graph call id (canonical form); also the instance id. */
  callId: string;
  /** The caller as Graph named them (E.164 for PSTN, an Entra id for Teams users; PII). Empty when withheld. */
  from: string;
  /** What was dialled (E.164, or the bot's app id / application instance id). */
  to: string;
  /** When the incoming-call notification was received. */
  receivedAt: string;
  /** The tenant of the call, when Graph said. */
  tenantId?: string;
  /** Set by `continueAsNew`: the state carried into the next execution. */
  carried?: CarriedCall;
}

/** Call settings the orchestrator needs, read from config by `resolveFlow` (orchestrators never read config). */
export interface CallSettings {
  keepAliveIntervalMs: number;
  maxDurationMs: number;
  mediaTimeoutMs: number;
  historyEventsBeforeContinue: number;
}

/** A Graph notification as raised into the instance: the parsed `CallEvent` without its `raw` body. */
export interface GraphEventPayload {
  kind: string;
  callId: string | null;
  [key: string]: unknown;
}

/** Commands carried out by `runCommands` (timers and `end` stay in the orchestrator). */
export type GraphCommand = Exclude<FlowCommand, { type: 'startTimer' | 'cancelTimer' | 'end' }>;

/** State carried across `continueAsNew` (see the orchestrator). */
export interface CarriedCall {
  flow: Flow;
  settings: CallSettings;
  /** Interpreter state (`CallState`), opaque here. */
  state: Json;
  /** Pending interpreter timer, if any. */
  flowTimer?: { name: string; fireAt: string };
  keepAliveAt: string;
  maxEndAt: string;
  /** Playback command ids cancelled for barge-in (their failures are cancellations). */
  canceled: string[];
  /** See {@link ResolveFlowOutput} `collect`. */
  collect: string[];
  /** Executions so far (1 for the first). */
  execution: number;
}

/** `resolveFlow`: dialled number → bound flow's published version (pinned); creates the call record. */
export interface ResolveFlowInput {
  callId: string;
  from: string;
  to: string;
  receivedAt: string;
}
/** `flow`: run it; `noFlow`: reject the call; `invalidFlow`: the published document fails validation; `duplicate`: the call record already exists and has ended. */
export type ResolveFlowOutput =
  | {
      kind: 'flow';
      flow: Flow;
      flowId: string;
      flowVersion: number;
      settings: CallSettings;
      /** Variables that hold caller input (`collectDigits.into`), recorded on the call as PII. */
      collect: string[];
    }
  | { kind: 'noFlow'; settings: CallSettings }
  | { kind: 'invalidFlow'; flowId: string; flowVersion: number; settings: CallSettings }
  | { kind: 'duplicate' };

/** `rejectCall`: Graph reject (call-reject) and the outcome recorded. */
export interface RejectCallInput {
  callId: string;
  reason: 'none' | 'busy';
  /** Why, for the record (`noFlowBound`, `FLOW.INVALID`). */
  because: string;
  at: string;
}
/** Whether Graph accepted the reject (`code` when not). */
export interface RejectCallOutput {
  ok: boolean;
  code?: string;
}

/** `answerCall`: service-hosted media answer (call-answer) with the configured callback URI. */
export interface AnswerCallInput {
  callId: string;
}
/** `ok` false with the error code when Graph refused (the call is then hung up or gone). */
export interface AnswerCallOutput {
  ok: boolean;
  code?: string;
  /** When the answer request was sent and how long Graph took, ms. */
  sentAt: string;
  durationMs: number;
}

/** `runCommands`: one interpreter step's Graph requests, in order, then its timeline and path. */
export interface RunCommandsInput {
  callId: string;
  commands: GraphCommand[];
  /** The step's transitions (written to the timeline; `to` steps appended to the call record's path). */
  transitions: Transition[];
  /** The flow's `allowedHosts` for `httpRequest` (the deployment's list is added by the activity). */
  allowedHosts: string[];
}
/** One command's result. `skipped`: not sent because an earlier command of the batch failed. */
export type CommandResult =
  | {
      id: string;
      type: GraphCommand['type'];
      ok: true;
      durationMs: number;
      /** httpRequest only: the answer (status 0 = no answer: timeout or network). */
      http?: { status: number; body: Json };
    }
  | {
      id: string;
      type: GraphCommand['type'];
      ok: false;
      code: string;
      message: string;
      skipped?: boolean;
      durationMs: number;
    };
/** Results in command order. */
export interface RunCommandsOutput {
  results: CommandResult[];
}

/** `keepAlive`: call-keepalive. `gone` when Graph says the call no longer exists (404). */
export interface KeepAliveInput {
  callId: string;
}
/** `ok` when Graph took it; `gone` when the call no longer exists (404). */
export interface KeepAliveOutput {
  ok: boolean;
  gone: boolean;
}

/** `saveRecording`: fetch Graph's recording at once with its access token and store it in Blob Storage. */
export interface SaveRecordingActivityInput {
  callId: string;
  /** The record command id (names the blob). */
  commandId: string;
  recordingLocation: string;
  /** Bearer token Graph returned with the recording (short-lived; never logged). */
  recordingAccessToken: string;
}
/** The blob URL on success; the error code otherwise. */
export type SaveRecordingActivityOutput =
  { ok: true; url: string; bytes: number } | { ok: false; code: string; message: string };

/** `finishCall`: hang up if still needed, then record outcome, end time and status. */
export interface FinishCallInput {
  callId: string;
  outcome: CallEndOutcome;
  /** The step the call ended in. */
  step?: string;
  endedAt: string;
  /** True when the call may still be up and the flow did not hang up: the activity hangs up. */
  hangUp: boolean;
  /** Last transitions not yet written (the end transition). */
  transitions: Transition[];
  /** Caller input the flow collected, by variable name (PII marked). */
  collected?: Record<string, { value: string; pii: boolean }>;
}
/** Whether this activity hung the call up. */
export interface FinishCallOutput {
  hungUp: boolean;
}

/** Every activity's input and output by name. */
export interface ActivityIO {
  resolveFlow: { input: ResolveFlowInput; output: ResolveFlowOutput };
  rejectCall: { input: RejectCallInput; output: RejectCallOutput };
  answerCall: { input: AnswerCallInput; output: AnswerCallOutput };
  runCommands: { input: RunCommandsInput; output: RunCommandsOutput };
  keepAlive: { input: KeepAliveInput; output: KeepAliveOutput };
  saveRecording: { input: SaveRecordingActivityInput; output: SaveRecordingActivityOutput };
  finishCall: { input: FinishCallInput; output: FinishCallOutput };
}

/**
 * Retries for activities that failed with a fault (store unreachable, storage 5xx): 3 attempts,
 * 500 ms then 1 s apart. Durable retries re-run the whole activity, so activities that send
 * non-idempotent Graph requests report Graph errors as values instead of throwing.
 */
export function activityRetry(): RetryOptions {
  const r = new df.RetryOptions(500, 3);
  r.backoffCoefficient = 2;
  r.maxRetryIntervalInMilliseconds = 5000;
  return r;
}

/** Schedules activity `name` with its typed input (with Durable retries when `retry` is given). */
export function callActivity<K extends keyof ActivityIO>(
  ctx: OrchestrationContext,
  name: K,
  input: ActivityIO[K]['input'],
  retry?: RetryOptions,
): Task {
  return retry === undefined
    ? ctx.df.callActivity(ActivityName[name], input)
    : ctx.df.callActivityWithRetry(ActivityName[name], retry, input);
}

/**
 * `yield*` form of {@link callActivity} that types the result:
 * `const r = yield* activity(ctx, 'answerCall', { callId });`. Rethrows the activity's failure
 * (after its retries) as Durable does (`TaskFailedError`, message `Reason \n Details`).
 */
export function* activity<K extends keyof ActivityIO>(
  ctx: OrchestrationContext,
  name: K,
  input: ActivityIO[K]['input'],
  retry?: RetryOptions,
): Generator<Task, ActivityIO[K]['output'], unknown> {
  return (yield callActivity(ctx, name, input, retry)) as ActivityIO[K]['output'];
}
