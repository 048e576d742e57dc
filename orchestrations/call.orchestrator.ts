/**
 * Orchestration `call`: one instance per Graph call (instance id = Graph call id), from the
 * incoming notification to the call's end (../shared/DESIGN.md, "A call, step by step").
 *
 * 1. `resolveFlow` pins the dialled number's published flow version (and creates the call
 *    record); no flow → `rejectCall` (Graph reject, reason `none`) and done.
 * 2. The pure interpreter (`startCall`/`handleEvent`) decides; before the first command that needs
 *    an answered call, `answerCall` (service-hosted media) and a wait for `established` with
 *    audio media active (as Microsoft's IVR sample does before its first prompt), racing
 *    `mediaTimeoutMs` and the caller hanging up. `redirect`/`reject` run unanswered.
 * 3. Each interpreter step's Graph commands go out in ONE `runCommands` activity (it also writes
 *    the step's timeline and path after the requests), so a keypress costs one activity before
 *    the next Graph request. `startTimer`/`cancelTimer` are durable timers here; `end` finishes.
 * 4. Every wait races the next Graph event (external event `graph`), the interpreter's timer, the
 *    keepAlive timer and the maximum-duration timer. keepAlive goes to Graph every
 *    `keepAliveIntervalMs`. A Graph failure of a command becomes `commandFailed` for the
 *    interpreter, which takes the step's error branch or the flow's failure path: no dead air.
 * 5. Voicemail: a completed recordResponse is fetched and stored at once (`saveRecording`), then
 *    the interpreter gets `recordingCompleted` with the blob URL.
 * 6. An operator's `terminate` external event (`{ by, reason }`) is raced in every wait: hang up
 *    through Graph, outcome `terminated` through `finishCall`.
 * 7. `finishCall` records the outcome (hanging up first when the flow did not and the call is
 *    up). History is bounded: after `historyEventsBeforeContinue` events, `continueAsNew` with the
 *    carried state.
 *
 * Determinism (Durable code constraints): time only from `context.df.currentUtcDateTime`; no
 * config, no I/O (activities carry settings in); no iteration over object keys.
 *
 * Timers: deadlines (interpreter timer, keepAlive, maximum duration, media wait) are plain data;
 * each wait creates ONE durable timer for the earliest deadline and cancels it when the event
 * wins. A timer task is never put into a second `Task.any`: durable-functions would send its
 * CreateTimer action again inside the new composite action, which the backend counts as a new
 * action and the sequence ids drift.
 *
 * External events and stale waiters: durable-functions hands an `EventRaised` to the NEWEST open
 * `waitForExternalEvent` task (TaskOrchestrationExecutor pops the waiter list), and a waiter that
 * lost a `Task.any` stays open. So waiters are tracked here: after every yield each completed
 * waiter's event is moved (newest waiter first, which is delivery order) into an inbox, and a new
 * waiter is only created when the inbox is empty. No event is lost to a forgotten waiter.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';

import {
  handleEvent,
  startCall,
  type CallState,
  type Flow,
  type FlowEvent,
  type Json,
  type Outcome,
  type StepResult,
  type Transition,
} from '../shared/flow/index.js';
import {
  activity,
  activityRetry,
  CALL_ORCHESTRATION,
  GRAPH_EVENT,
  TERMINATE_EVENT,
  type CallEndOutcome,
  type CallOrchestrationInput,
  type CallSettings,
  type CarriedCall,
  type CommandResult,
  type GraphCommand,
  type GraphEventPayload,
  type ResolveFlowOutput,
  type TerminateEventData,
  type TerminatedOutcome,
} from './activity-contracts.js';
import { mapGraphEvent } from './call-events.js';

/** What the orchestration returns when it completes (also its Durable `output`). */
export interface CallOrchestrationOutput {
  /** The call's outcome (`terminated` when an operator ended it); absent for a duplicate start. */
  outcome?: CallEndOutcome;
  duplicate?: boolean;
  /** Why the call was turned away (`noFlowBound`, `FLOW.INVALID`, or the code of the fault). */
  reason?: string;
}

/** The custom status: where the call is, never who is calling (no PII). */
export interface CallCustomStatus {
  step: string | null;
  lastEvent: string;
  flowId: string | null;
  flowVersion: number | null;
}

const MAX_CANCELED = 32;
/** Outcomes after which the call is no longer ours to hang up. */
const NO_HANGUP: readonly Outcome['kind'][] = ['transferred', 'hungUpByCaller', 'rejected', 'redirected'];
/** Commands that can go to Graph before the call is answered. */
const UNANSWERED_OK: readonly GraphCommand['type'][] = ['redirect', 'reject', 'httpRequest'];

type Signal =
  | { kind: 'graph'; event: GraphEventPayload }
  | { kind: 'flowTimer'; name: string }
  | { kind: 'keepAlive' }
  | { kind: 'maxDuration' }
  | { kind: 'extra' }
  | { kind: 'terminate'; data: TerminateEventData };

/** One execution's working state. Mutated only by this file's generators, in replay order. */
interface Session {
  ctx: OrchestrationContext;
  input: CallOrchestrationInput;
  flow: Flow;
  settings: CallSettings;
  state: CallState;
  answered: boolean;
  /** The interpreter's pending timer. */
  flowTimer?: { name: string; fireAt: string };
  keepAliveAt?: string;
  maxEndAt?: string;
  canceled: string[];
  /** Variables holding caller input (recorded on the call record as PII at the end). */
  collect: string[];
  /** Follow-up events produced by our own commands (failures, http results), handled before waiting. */
  queue: FlowEvent[];
  /** Open `graph` waiters, oldest first. */
  waiters: Task[];
  /** Graph events received and not yet handled, in delivery order. */
  inbox: GraphEventPayload[];
  /** Open `terminate` waiters (one per wait; the newest open one gets the event). */
  termWaiters: Task[];
  /** An operator's terminate request, once received (handled at the next wait). */
  terminate?: TerminateEventData;
  handled: number;
  callGone: boolean;
  hungUpByUs: boolean;
  lastEvent: string;
  execution: number;
}

const now = (ctx: OrchestrationContext): string => ctx.df.currentUtcDateTime.toISOString();
const plus = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

const due = (fireAt: string | undefined, t: string): boolean => fireAt !== undefined && fireAt <= t;

function status(s: Pick<Session, 'ctx' | 'flow'>, step: string | null, lastEvent: string): void {
  const cs: CallCustomStatus = { step, lastEvent, flowId: s.flow.id, flowVersion: s.flow.version };
  s.ctx.df.setCustomStatus(cs);
}

/** The terminate request in an event's data (tolerant of a missing or odd payload). */
function terminateData(raw: unknown): TerminateEventData {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    by: typeof o.by === 'string' && o.by !== '' ? o.by : 'unknown',
    reason: typeof o.reason === 'string' ? o.reason : '',
  };
}

/**
 * Moves events of completed waiters into the inbox (newest waiter first = delivery order), and
 * notes a received terminate request.
 */
function collect(s: Session): void {
  for (let i = s.termWaiters.length - 1; i >= 0; i -= 1) {
    const w = s.termWaiters[i];
    if (w !== undefined && w.isCompleted) {
      s.terminate ??= terminateData(w.result);
      s.termWaiters.splice(i, 1);
    }
  }
  for (let i = s.waiters.length - 1; i >= 0; i -= 1) {
    const w = s.waiters[i];
    if (w !== undefined && w.isCompleted) {
      s.inbox.push(w.result as GraphEventPayload);
      s.waiters.splice(i, 1);
    }
  }
}

/** The next thing that happens: a Graph event, or a deadline (`extraAt`: the caller's own). */
function* next(s: Session, extraAt?: string): Generator<Task, Signal, unknown> {
  let fired = '';
  for (;;) {
    collect(s);
    if (s.terminate !== undefined) return { kind: 'terminate', data: s.terminate };
    const event = s.inbox.shift();
    if (event !== undefined) return { kind: 'graph', event };
    // ISO-8601 UTC strings of one format compare in time order.
    const t = now(s.ctx) > fired ? now(s.ctx) : fired;
    if (due(s.maxEndAt, t)) return { kind: 'maxDuration' };
    if (s.flowTimer !== undefined && due(s.flowTimer.fireAt, t)) {
      const name = s.flowTimer.name;
      s.flowTimer = undefined;
      return { kind: 'flowTimer', name };
    }
    if (due(s.keepAliveAt, t)) {
      s.keepAliveAt = undefined;
      return { kind: 'keepAlive' };
    }
    if (due(extraAt, t)) return { kind: 'extra' };
    const deadlines = [s.maxEndAt, s.flowTimer?.fireAt, s.keepAliveAt, extraAt].filter(
      (d): d is string => d !== undefined,
    );
    const waiter = s.ctx.df.waitForExternalEvent(GRAPH_EVENT);
    s.waiters.push(waiter);
    // A new terminate waiter per wait: the SDK gives an event to the newest open waiter of its
    // name, so this wait's own waiter is the one woken (older ones are collected above).
    const termWaiter = s.ctx.df.waitForExternalEvent(TERMINATE_EVENT);
    s.termWaiters.push(termWaiter);
    if (deadlines.length === 0) {
      yield s.ctx.df.Task.any([waiter, termWaiter]);
      continue;
    }
    const deadline = deadlines.reduce((a, b) => (b < a ? b : a));
    const timerTask = s.ctx.df.createTimer(new Date(deadline));
    yield s.ctx.df.Task.any([waiter, termWaiter, timerTask]);
    if (timerTask.isCompleted) fired = deadline;
    else timerTask.cancel();
  }
}

function errorCode(err: unknown): string {
  const m = err instanceof Error ? /\b([A-Z]+\.[A-Z_]+)\b/.exec(err.message) : null;
  return m?.[1] ?? 'CALL.ACTIVITY_FAILED';
}

/**
 * Carries out one interpreter step: timers here, Graph commands in one `runCommands`. Failures
 * and http answers are queued as events. Returns the outcome when the step ended the call.
 */
function* execute(s: Session, r: StepResult): Generator<Task, CallEndOutcome | undefined, unknown> {
  const { ctx } = s;
  const graph: GraphCommand[] = [];
  let end: Outcome | undefined;
  for (const c of r.commands) {
    switch (c.type) {
      case 'startTimer':
        s.flowTimer = { name: c.name, fireAt: plus(now(ctx), c.durationMs) };
        break;
      case 'cancelTimer':
        if (s.flowTimer?.name === c.name) s.flowTimer = undefined;
        break;
      case 'end':
        end = c.outcome;
        break;
      case 'cancelMedia':
        s.canceled.push(c.id);
        if (s.canceled.length > MAX_CANCELED) s.canceled.shift();
        graph.push(c);
        break;
      case 'hangup':
        s.hungUpByUs = true;
        graph.push(c);
        break;
      default:
        graph.push(c);
    }
  }
  const commands = s.callGone ? [] : graph;
  if (!s.answered && commands.some((c) => !UNANSWERED_OK.includes(c.type))) {
    const gone = yield* answer(s);
    if (gone !== undefined) return gone;
  }
  if (commands.length > 0 || (end === undefined && r.transitions.length > 0)) {
    let results: CommandResult[];
    try {
      ({ results } = yield* activity(ctx, 'runCommands', {
        callId: s.input.callId,
        commands,
        transitions: r.transitions,
        allowedHosts: s.flow.allowedHosts ?? [],
      }));
    } catch (err) {
      const first = commands.find((c) => c.type !== 'cancelMedia');
      results =
        first === undefined
          ? []
          : [
              {
                id: first.id,
                type: first.type,
                ok: false,
                code: errorCode(err),
                message: 'runCommands failed',
                durationMs: 0,
              },
            ];
    }
    const at = now(ctx);
    for (const res of results) {
      if (res.ok && res.http !== undefined)
        s.queue.push({
          type: 'httpResult',
          commandId: res.id,
          status: res.http.status,
          body: res.http.body,
          at,
        });
    }
    const failed = results.find((x) => !x.ok && x.skipped !== true && x.type !== 'cancelMedia');
    if (failed !== undefined && !failed.ok) {
      if (failed.type === 'hangup') s.hungUpByUs = false;
      s.queue.push({
        type: 'commandFailed',
        commandId: failed.id,
        code: failed.code,
        message: failed.message,
        at,
      });
    }
  }
  if (end !== undefined) {
    return yield* finish(s, end, commands.length > 0 ? [] : r.transitions);
  }
  return undefined;
}

/** Answers and waits for established audio. Returns an outcome when the call cannot go on. */
function* answer(s: Session): Generator<Task, CallEndOutcome | undefined, unknown> {
  const { ctx } = s;
  let res: { ok: boolean; code?: string };
  try {
    res = yield* activity(ctx, 'answerCall', { callId: s.input.callId });
  } catch (err) {
    res = { ok: false, code: errorCode(err) };
  }
  if (!res.ok) {
    if (res.code === 'GRAPH.NOT_FOUND') {
      // The caller hung up while the call was ringing: the call no longer exists.
      s.callGone = true;
      return yield* finish(s, { kind: 'hungUpByCaller', atStep: s.state.step }, []);
    }
    return yield* finish(s, { kind: 'failed', code: res.code ?? 'CALL.ANSWER_FAILED' }, []);
  }
  s.answered = true;
  s.keepAliveAt = plus(now(ctx), s.settings.keepAliveIntervalMs);
  const mediaAt = plus(now(ctx), s.settings.mediaTimeoutMs);
  for (;;) {
    const sig = yield* next(s, mediaAt);
    if (sig.kind === 'terminate') return yield* finish(s, terminated(sig.data), []);
    if (sig.kind === 'extra') return yield* finish(s, { kind: 'failed', code: 'CALL.MEDIA_TIMEOUT' }, []);
    if (sig.kind === 'maxDuration')
      return yield* finish(s, { kind: 'failed', code: 'CALL.MAX_DURATION' }, []);
    if (sig.kind === 'keepAlive') {
      s.keepAliveAt = plus(now(ctx), s.settings.keepAliveIntervalMs);
      continue;
    }
    if (sig.kind === 'flowTimer') {
      // An interpreter timer from before the answer (rare: httpRequest steps): replay it after.
      s.queue.push({ type: 'timerFired', name: sig.name, at: now(ctx) });
      continue;
    }
    const m = mapGraphEvent(sig.event, { at: now(ctx), canceled: s.canceled });
    if (m.kind === 'established' && m.audioActive) break;
    if (m.kind === 'terminated') {
      s.callGone = true;
      return yield* finish(s, { kind: 'hungUpByCaller', atStep: s.state.step }, []);
    }
  }
  status(s, s.state.step, 'callEstablished');
  return undefined;
}

const terminated = (d: TerminateEventData): TerminatedOutcome => ({
  kind: 'terminated',
  by: d.by,
  reason: d.reason,
});

/**
 * Records the end of the call (and hangs up when the flow did not and the call is up; always for
 * an operator's terminate unless the call is already gone).
 */
function* finish(
  s: Session,
  outcome: CallEndOutcome,
  transitions: Transition[],
): Generator<Task, CallEndOutcome, unknown> {
  const { ctx } = s;
  s.flowTimer = undefined;
  s.keepAliveAt = undefined;
  s.maxEndAt = undefined;
  const hangUp =
    !s.callGone && (outcome.kind === 'terminated' || (!s.hungUpByUs && !NO_HANGUP.includes(outcome.kind)));
  const collected: Record<string, { value: string; pii: boolean }> = {};
  for (const name of s.collect) {
    const value = s.state.vars[name];
    if (typeof value === 'string' && value !== '') collected[name] = { value, pii: true };
  }
  try {
    yield* activity(
      ctx,
      'finishCall',
      {
        callId: s.input.callId,
        outcome,
        step: s.state.step,
        endedAt: now(ctx),
        hangUp,
        transitions,
        collected,
      },
      activityRetry(),
    );
  } catch {
    // The record could not be written after retries; the call itself is over either way.
  }
  status(s, null, `end:${outcome.kind}`);
  return outcome;
}

/** Turns a signal into an interpreter event (running keepAlive / saveRecording on the way). */
function* toFlowEvent(
  s: Session,
  sig: Signal,
): Generator<Task, FlowEvent | CallEndOutcome | undefined, unknown> {
  const { ctx } = s;
  const at = now(ctx);
  switch (sig.kind) {
    case 'flowTimer':
      return { type: 'timerFired', name: sig.name, at };
    case 'maxDuration':
      return { kind: 'failed', code: 'CALL.MAX_DURATION' };
    case 'extra':
      return undefined;
    case 'terminate':
      return terminated(sig.data);
    case 'keepAlive': {
      let res = { ok: false, gone: false };
      try {
        res = yield* activity(ctx, 'keepAlive', { callId: s.input.callId }, activityRetry());
      } catch {
        // Missed once: Graph allows 45 minutes without keepAlive; the next interval tries again.
      }
      if (res.gone) {
        s.callGone = true;
        return { type: 'callerHungUp', at };
      }
      s.keepAliveAt = plus(at, s.settings.keepAliveIntervalMs);
      return undefined;
    }
    case 'graph': {
      const m = mapGraphEvent(sig.event, { at, canceled: s.canceled });
      switch (m.kind) {
        case 'flow':
          return m.event;
        case 'terminated':
          s.callGone = true;
          return s.hungUpByUs ? undefined : { type: 'callerHungUp', at };
        case 'saveRecording': {
          let saved;
          try {
            saved = yield* activity(
              ctx,
              'saveRecording',
              {
                callId: s.input.callId,
                commandId: m.commandId,
                recordingLocation: m.recordingLocation,
                recordingAccessToken: m.recordingAccessToken,
              },
              activityRetry(),
            );
          } catch (err) {
            saved = { ok: false as const, code: errorCode(err), message: 'saveRecording failed' };
          }
          return saved.ok
            ? {
                type: 'recordingCompleted',
                commandId: m.commandId,
                status: 'completed',
                recordingLocation: saved.url,
                at,
              }
            : { type: 'recordingCompleted', commandId: m.commandId, status: 'failed', at };
        }
        default:
          return undefined;
      }
    }
  }
}

function isOutcome(x: FlowEvent | CallEndOutcome): x is CallEndOutcome {
  return 'kind' in x;
}

/** Runs the call until it ends (or continues as new). */
function* loop(s: Session): Generator<Task, CallOrchestrationOutput | undefined, unknown> {
  while (s.state.status === 'running') {
    collect(s);
    if (s.terminate !== undefined) return { outcome: yield* finish(s, terminated(s.terminate), []) };
    let ev = s.queue.shift();
    if (ev === undefined) {
      if (s.handled >= s.settings.historyEventsBeforeContinue) {
        collect(s);
        if (s.inbox.length === 0 && s.terminate === undefined) {
          continueAsNew(s);
          return undefined;
        }
      }
      const sig = yield* next(s);
      const mapped = yield* toFlowEvent(s, sig);
      if (mapped === undefined) continue;
      s.handled += 1;
      if (isOutcome(mapped)) return { outcome: yield* finish(s, mapped, []) };
      ev = mapped;
    }
    const r = handleEvent(s.flow, s.state, ev);
    s.state = r.state;
    s.lastEvent = ev.type;
    status(s, s.state.step, ev.type);
    const ended = yield* execute(s, r);
    if (ended !== undefined) return { outcome: ended };
  }
  return { outcome: s.state.outcome ?? { kind: 'completed' } };
}

function continueAsNew(s: Session): void {
  const carried: CarriedCall = {
    flow: s.flow,
    settings: s.settings,
    state: s.state as unknown as Json,
    ...(s.flowTimer === undefined ? {} : { flowTimer: { ...s.flowTimer } }),
    keepAliveAt: s.keepAliveAt ?? plus(now(s.ctx), s.settings.keepAliveIntervalMs),
    maxEndAt: s.maxEndAt ?? now(s.ctx),
    canceled: s.canceled,
    collect: s.collect,
    execution: s.execution + 1,
  };
  const { carried: _old, ...input } = s.input;
  s.ctx.df.continueAsNew({ ...input, carried });
}

function newSession(
  ctx: OrchestrationContext,
  input: CallOrchestrationInput,
  flow: Flow,
  settings: CallSettings,
  state: CallState,
): Session {
  return {
    ctx,
    input,
    flow,
    settings,
    state,
    answered: false,
    canceled: [],
    collect: [],
    queue: [],
    waiters: [],
    inbox: [],
    termWaiters: [],
    handled: 0,
    callGone: false,
    hungUpByUs: false,
    lastEvent: '',
    execution: 1,
  };
}

/** The orchestrator function (registered as `call`). */
export function* callOrchestrator(
  ctx: OrchestrationContext,
): Generator<Task, CallOrchestrationOutput | undefined, unknown> {
  const input = ctx.df.getInput<CallOrchestrationInput>();
  if (input.carried !== undefined) {
    const c = input.carried;
    const s = newSession(ctx, input, c.flow, c.settings, c.state as unknown as CallState);
    s.answered = true;
    s.execution = c.execution;
    s.canceled = [...c.canceled];
    s.collect = [...c.collect];
    s.maxEndAt = c.maxEndAt;
    s.keepAliveAt = c.keepAliveAt;
    if (c.flowTimer !== undefined) s.flowTimer = { ...c.flowTimer };
    return yield* loop(s);
  }

  let resolved: ResolveFlowOutput | { kind: 'unavailable'; code: string };
  try {
    resolved = yield* activity(
      ctx,
      'resolveFlow',
      { callId: input.callId, from: input.from, to: input.to, receivedAt: input.receivedAt },
      activityRetry(),
    );
  } catch (err) {
    // The store could not be read after retries: turn the caller away politely rather than let it ring out.
    resolved = { kind: 'unavailable', code: errorCode(err) };
  }
  if (resolved.kind === 'duplicate') return { duplicate: true };
  if (resolved.kind !== 'flow') {
    const because =
      resolved.kind === 'noFlow'
        ? 'noFlowBound'
        : resolved.kind === 'invalidFlow'
          ? 'FLOW.INVALID'
          : resolved.code;
    ctx.df.setCustomStatus({
      step: null,
      lastEvent: 'rejected',
      flowId: null,
      flowVersion: null,
    } satisfies CallCustomStatus);
    try {
      yield* activity(
        ctx,
        'rejectCall',
        { callId: input.callId, reason: 'none', because, at: now(ctx) },
        activityRetry(),
      );
    } catch {
      // Graph answers were values; only the store can fail here, and the call is turned away either way.
    }
    return { outcome: { kind: 'rejected', reason: 'none' }, reason: because };
  }

  const flow = resolved.flow;
  const started = startCall(flow, {
    callId: input.callId,
    callerNumber: input.from,
    dialledNumber: input.to,
    at: now(ctx),
  });
  const s = newSession(ctx, input, flow, resolved.settings, started.state);
  s.collect = resolved.collect;
  s.maxEndAt = plus(input.receivedAt, resolved.settings.maxDurationMs);
  status(s, s.state.step, 'incomingCall');
  const ended = yield* execute(s, started);
  if (ended !== undefined) return { outcome: ended };
  return yield* loop(s);
}

df.app.orchestration(CALL_ORCHESTRATION, callOrchestrator);
