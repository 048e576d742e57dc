/**
 * The Graph simulator's call engine: the state of every simulated call, the behaviour behind
 * each Graph calls action (answer, playPrompt, transfer...), the notifications Graph would post,
 * the media timing model and the scripted callers. The HTTP layer (`server.http.ts`) only parses
 * requests and maps {@link GraphHttpError}s to Graph's error bodies.
 *
 * Graph sources followed: the v1.0 reference pages for call (answer, reject, redirect, transfer,
 * playPrompt, record, subscribeToTone, cancelMediaProcessing, keepAlive, mute, unmute,
 * updateRecordingStatus, sendDtmfTones, delete), participant (list, invite, mute, delete),
 * application-post-calls, and commsOperation; bodies are shaped like ../shared/fixtures/graph/.
 */
import { randomUUID } from 'node:crypto';
import type { SimClock } from './clock.js';
import { normalizeCallee, normalizeScript, normalizeSteps, parseKeys, toneOf } from './caller-script.js';
import type { CalleeScript } from './caller-script.js';
import type { CallerStep, DtmfKey } from './caller-script.js';
import { GraphHttpError } from './graph-error.js';
import { PromptError, generateRecordingWav, loadPrompt } from './media.js';
import type { PromptLoaderOptions } from './media.js';
import type { CommsNotification, DeliveryRecord, Notifier } from './notifier.js';

/** Graph's `callState` values the simulator uses. */
export type CallState =
  | 'incoming'
  | 'establishing'
  | 'established'
  | 'transferring'
  | 'transferAccepted'
  | 'terminating'
  | 'terminated';

/** `resultInfo` as Graph sends it. */
export interface ResultInfo {
  '@odata.type': '#microsoft.graph.resultInfo';
  code: number;
  subcode: number;
  message: string;
}

/** One thing that happened on a call, as the caller experienced it. `at` = simulated ms since the call was placed. */
export type TranscriptEntry = { at: number } & (
  | { type: 'state'; state: CallState }
  | {
      type: 'promptStarted';
      n: number;
      uri: string;
      text?: string | undefined;
      durationMs: number;
      operationId: string;
    }
  | { type: 'promptFinished'; n: number; uri: string; interrupted: boolean }
  | { type: 'promptFailed'; uri: string; reason: string; operationId: string }
  | { type: 'keyPressed'; key: DtmfKey; tone: string; delivered: boolean; sequenceId?: number | undefined }
  | { type: 'silence'; ms: number }
  | { type: 'spoke'; ms: number }
  | {
      type: 'recording';
      operationId: string;
      durationMs: number;
      endReason: string;
      recordingLocation?: string | undefined;
    }
  | { type: 'transfer'; target: string; outcome: 'accepted' | 'failed' | 'abandoned' }
  | { type: 'tonesSentByBot'; tones: string[] }
  | { type: 'hangUp'; by: 'caller' | 'bot' | 'simulator'; reason: string }
  | { type: 'scriptError'; message: string }
);

/** How a call ended. */
export interface CallOutcome {
  reason:
    | 'callerHungUp'
    | 'botHungUp'
    | 'transferred'
    | 'redirected'
    | 'rejected'
    | 'notAnswered'
    | 'keepAliveExpired'
    | 'declined'
    | 'simulatorStopped';
  resultInfo: ResultInfo;
  /** Simulated ms since the call was placed. */
  at: number;
}

/** One request the bot made to the simulator's Graph endpoints. `time` is simulated epoch ms. */
export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  time: number;
  status?: number | undefined;
  callId?: string | undefined;
}

/** A commsOperation as the simulator tracks it. */
interface Operation {
  id: string;
  odataType: string;
  clientContext: string | undefined;
  status: 'running' | 'completed' | 'failed';
  resultInfo?: ResultInfo | undefined;
  extra: Record<string, unknown>;
}

interface MediaJob {
  op: Operation;
  kind: 'play' | 'record';
  body: Record<string, unknown>;
  abort: AbortController;
}

/** The public view of one simulated call. */
export interface SimCall {
  readonly id: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly state: CallState;
  /** What the caller heard and did, in order. */
  readonly transcript: readonly TranscriptEntry[];
  readonly outcome: CallOutcome | undefined;
  /** Set when a script step failed (e.g. it waited for a prompt but the call ended first). */
  readonly scriptError: string | undefined;
  /** The bot's Graph requests about this call, in order. */
  requests(): RecordedRequest[];
  /** Notifications posted for this call, with their delivery results. */
  deliveries(): DeliveryRecord[];
  /** Resolves when the call reaches `state` (or has passed through it); rejects after `timeoutMs` simulated ms (default 60 000). */
  waitForState(state: CallState, timeoutMs?: number): Promise<void>;
  /** Resolves with the outcome once the call has terminated. */
  ended(): Promise<CallOutcome>;
  /** Resolves when the caller script has run all its steps (or stopped on an error / the call ending). */
  scriptDone(): Promise<void>;
  /** A JSON snapshot (what `GET /sim/calls/{id}` returns). */
  toJSON(): Record<string, unknown>;
}

/** Engine settings (see `startGraphSimulator` for the defaults). */
export interface EngineOptions extends PromptLoaderOptions {
  clock: SimClock;
  notifier: Notifier;
  tenantId: string;
  botAppId: string;
  /** Where incoming-call notifications go when the script names no callback URI. */
  defaultCallbackUri?: string | undefined;
  /** Simulated ms an incoming call rings before Graph drops it (default 15 000). */
  ringingTimeoutMs: number;
  /** Simulated ms between `establishing` and `established` after answer (default 200). */
  establishDelayMs: number;
  /** Simulated ms without keepAlive after which an established call is ended (Graph: 45 min). */
  keepAliveTimeoutMs: number;
  /** Simulated ms before the callee of an outbound call answers (default 1000). */
  outboundAnswerDelayMs: number;
  /** Default transfer target behaviour when no script step set one. */
  defaultTransfer: { outcome: 'accept' | 'fail'; afterMs: number };
  /** Origin used to build recording URLs, e.g. `http://127.0.0.1:5000` (set once listening). */
  origin: () => string;
  /** The application instance (resource account) id shown as the target of PSTN calls. */
  applicationInstanceId: string;
}

const rInfo = (code: number, subcode: number, message: string): ResultInfo => ({
  '@odata.type': '#microsoft.graph.resultInfo',
  code,
  subcode,
  message,
});

/** Result codes used by the simulator (Graph's where documented, otherwise the media platform's, approximated). */
export const RESULTS = {
  ok: () => rInfo(200, 0, 'Action completed successfully.'),
  botHungUp: () => rInfo(200, 5001, 'The conversation has ended.'),
  callerHungUp: () => rInfo(200, 5010, 'The call was ended by the remote participant.'),
  notAnswered: () => rInfo(408, 5101, 'The call was not answered before the ringing timeout.'),
  rejected: () => rInfo(200, 5002, 'The call was rejected by the application.'),
  redirected: () => rInfo(200, 5003, 'The call was redirected.'),
  transferCompleted: () => rInfo(0, 7015, 'GracefulTransferCompleted'),
  transferFailed: () => rInfo(500, 7000, 'The transfer target did not accept the call.'),
  canceled: () => rInfo(400, 8508, 'Action failed, the operation was cancelled.'),
  recordMaxDuration: () => rInfo(200, 8515, 'Action completed, max record duration reached.'),
  recordStopTone: () => rInfo(200, 8514, 'Action completed, stop tone detected.'),
  recordSilence: () => rInfo(200, 8513, 'Action completed, silence timeout reached.'),
  recordInitialSilence: () => rInfo(400, 8510, 'Action failed, initial silence timeout reached.'),
  simulatorStopped: () => rInfo(500, 5500, 'The simulator was stopped.'),
  declined: () => rInfo(603, 5200, 'The callee declined the call.'),
  keepAliveExpired: () =>
    rInfo(408, 5300, 'The call was ended: no keepAlive was received within the keep-alive interval.'),
} as const;

class CallEnded extends Error {
  constructor() {
    super('the call ended');
    this.name = 'CallEnded';
  }
}

type Identity = Record<string, unknown>;
type TranscriptInput = TranscriptEntry extends infer E
  ? E extends { at: number }
    ? Omit<E, 'at'>
    : never
  : never;

function describeTarget(t: unknown): string {
  const id = ((t ?? {}) as { identity?: Record<string, { id?: unknown } | null | undefined> }).identity ?? {};
  for (const k of ['phone', 'user', 'application', 'applicationInstance']) {
    const v = id[k];
    if (v && typeof v.id === 'string') return `${k}:${v.id}`;
  }
  return 'unknown';
}

/** One simulated call (internal). */
class CallImpl implements SimCall {
  readonly id = randomUUID();
  readonly callChainId = randomUUID();
  readonly myParticipantId = randomUUID();
  readonly remoteParticipantId = randomUUID();
  readonly placedAt: number;
  state: CallState;
  callbackUri: string | undefined;
  source: Identity;
  targets: Identity[];
  extraProps: Record<string, unknown> = {};
  readonly transcriptList: TranscriptEntry[] = [];
  outcome: CallOutcome | undefined;
  scriptError: string | undefined;
  readonly requestList: RecordedRequest[] = [];
  readonly operations = new Map<string, Operation>();
  readonly mediaQueue: MediaJob[] = [];
  mediaLoopRunning = false;
  currentJob: MediaJob | undefined;
  toneSubscribed = false;
  toneSeq = 0;
  promptsStarted = 0;
  promptsEnded = 0;
  speech: { start: number; end: number }[] = [];
  listening: { opId: string; since: number } | undefined;
  stopToneHit: DtmfKey | undefined;
  transferBehaviour: { outcome: 'accept' | 'fail'; afterMs: number } | undefined;
  everTransferring = false;
  keepAliveGeneration = 0;
  statesSeen = new Set<CallState>();
  participants: Record<string, unknown>[] = [];
  etag = 1;
  #waiters: (() => void)[] = [];
  #endedResolve!: (o: CallOutcome) => void;
  readonly endedPromise: Promise<CallOutcome>;
  scriptPromise: Promise<void> = Promise.resolve();
  readonly abortAll = new AbortController();

  constructor(
    readonly direction: 'incoming' | 'outgoing',
    initial: CallState,
    source: Identity,
    targets: Identity[],
    private readonly clock: SimClock,
    private readonly notifierRef: Notifier,
  ) {
    this.placedAt = clock.now();
    this.state = initial;
    this.statesSeen.add(initial);
    this.source = source;
    this.targets = targets;
    this.endedPromise = new Promise((resolve) => (this.#endedResolve = resolve));
    this.transcriptList.push({ at: 0, type: 'state', state: initial });
  }

  get transcript(): readonly TranscriptEntry[] {
    return this.transcriptList;
  }

  rel(): number {
    return Math.round(this.clock.now() - this.placedAt);
  }

  log(entry: TranscriptInput): void {
    this.transcriptList.push({ at: this.rel(), ...entry });
    this.changed();
  }

  /** Wakes everything waiting for a change on this call. */
  changed(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }

  nextChange(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Waits until `pred()` holds; throws CallEnded when the call terminates first (unless `pred` accepts that). */
  async until(pred: () => boolean, opts: { throwOnEnd?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const deadline = opts.timeoutMs === undefined ? undefined : this.clock.now() + opts.timeoutMs;
    for (;;) {
      if (pred()) return;
      if (this.state === 'terminated' && opts.throwOnEnd !== false) throw new CallEnded();
      const wait = this.nextChange();
      if (deadline === undefined) {
        await wait;
      } else {
        const left = deadline - this.clock.now();
        if (left <= 0) throw new Error(`timed out after ${opts.timeoutMs ?? 0} ms`);
        const ac = new AbortController();
        await Promise.race([wait, this.clock.sleep(left, ac.signal).catch(() => undefined)]);
        ac.abort();
      }
    }
  }

  setState(state: CallState): void {
    this.state = state;
    this.statesSeen.add(state);
    this.log({ type: 'state', state });
  }

  finish(outcome: Omit<CallOutcome, 'at'>): void {
    if (this.outcome) return;
    this.outcome = { ...outcome, at: this.rel() };
    this.abortAll.abort(new CallEnded());
    for (const job of this.mediaQueue) job.abort.abort(new CallEnded());
    this.currentJob?.abort.abort(new CallEnded());
    this.setState('terminated');
    this.#endedResolve(this.outcome);
  }

  requests(): RecordedRequest[] {
    return [...this.requestList];
  }

  deliveries(): DeliveryRecord[] {
    return this.notifierRef.deliveries(this.id);
  }

  waitForState(state: CallState, timeoutMs = 60_000): Promise<void> {
    return this.until(() => this.statesSeen.has(state), { throwOnEnd: false, timeoutMs }).then(() => {
      if (!this.statesSeen.has(state))
        throw new Error(`call ${this.id} ended without reaching state ${state}`);
    });
  }

  async waitEndedOrState(state: CallState, timeoutMs?: number): Promise<void> {
    await this.until(() => this.statesSeen.has(state) || this.state === 'terminated', {
      throwOnEnd: false,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  ended(): Promise<CallOutcome> {
    return this.endedPromise;
  }

  scriptDone(): Promise<void> {
    return this.scriptPromise;
  }

  resource(): Record<string, unknown> {
    return {
      '@odata.type': '#microsoft.graph.call',
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#communications/calls/$entity',
      id: this.id,
      state: this.state,
      direction: this.direction,
      callbackUri: this.callbackUri ?? null,
      callChainId: this.callChainId,
      source: this.source,
      targets: this.targets,
      requestedModalities: ['audio'],
      tenantId: this.extraProps.tenantId ?? null,
      myParticipantId: this.myParticipantId,
      mediaState:
        this.state === 'established'
          ? { '@odata.type': '#microsoft.graph.callMediaState', audio: 'active' }
          : null,
      resultInfo: this.outcome?.resultInfo ?? null,
      subject: null,
      ringingTimeoutInSeconds: null,
      answeredBy: null,
      chatInfo: this.extraProps.chatInfo ?? null,
      meetingInfo: this.extraProps.meetingInfo ?? null,
      toneInfo: null,
      mediaConfig: this.extraProps.mediaConfig ?? null,
    };
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      direction: this.direction,
      state: this.state,
      callbackUri: this.callbackUri ?? null,
      source: this.source,
      targets: this.targets,
      transcript: this.transcriptList,
      outcome: this.outcome ?? null,
      scriptError: this.scriptError ?? null,
    };
  }
}

/** The simulator's behaviour; one per simulator. */
export class GraphSimEngine {
  readonly #o: EngineOptions;
  readonly #calls = new Map<string, CallImpl>();
  readonly #allRequests: RecordedRequest[] = [];
  readonly #recordings = new Map<string, { token: string; wav: Buffer }>();
  #stopped = false;
  readonly #callees: (CalleeScript & { steps: CallerStep[] })[] = [];

  constructor(options: EngineOptions) {
    this.#o = options;
  }

  /** Every call, in the order placed. */
  calls(): SimCall[] {
    return [...this.#calls.values()];
  }

  /** A call by id (including terminated calls), or undefined. */
  call(id: string): SimCall | undefined {
    return this.#calls.get(id);
  }

  /** Every Graph request (or those about one call), in arrival order. */
  requests(callId?: string): RecordedRequest[] {
    return this.#allRequests.filter((r) => callId === undefined || r.callId === callId);
  }

  /** Records a request (the HTTP layer calls this as soon as the body is parsed). */
  recordRequest(req: RecordedRequest): void {
    this.#allRequests.push(req);
    if (req.callId !== undefined) this.#calls.get(req.callId)?.requestList.push(req);
  }

  /** The recording behind a `recordingLocation`, if `token` matches its `recordingAccessToken`. */
  recording(id: string, token: string | undefined): { status: 200 | 401 | 404; wav?: Buffer } {
    const r = this.#recordings.get(id);
    if (!r) return { status: 404 };
    if (token !== r.token) return { status: 401 };
    return { status: 200, wav: r.wav };
  }

  /** Stops every call (terminated, outcome `simulatorStopped`) and refuses new ones. */
  stop(): void {
    this.#stopped = true;
    for (const c of this.#calls.values())
      c.finish({ reason: 'simulatorStopped', resultInfo: RESULTS.simulatorStopped() });
  }

  // ---------------------------------------------------------------- notifications

  #notify(call: CallImpl, n: Omit<CommsNotification, '@odata.type'>): void {
    if (this.#stopped) return;
    const uri = call.callbackUri ?? this.#o.defaultCallbackUri;
    if (uri === undefined) return;
    this.#o.notifier.enqueue(call.id, uri, {
      '@odata.type': '#microsoft.graph.commsNotification',
      ...n,
    } as CommsNotification);
  }

  #callUrl(call: CallImpl): string {
    return `/communications/calls/${call.id}`;
  }

  #notifyCall(
    call: CallImpl,
    changeType: 'created' | 'updated' | 'deleted',
    data: Record<string, unknown>,
  ): void {
    this.#notify(call, {
      changeType,
      resourceUrl: this.#callUrl(call),
      resourceData: {
        '@odata.type': '#microsoft.graph.call',
        '@odata.id': this.#callUrl(call),
        '@odata.etag': `W/"${call.etag++}"`,
        ...data,
      },
    });
  }

  #notifyOperation(call: CallImpl, op: Operation): void {
    const url = `${this.#callUrl(call)}/operations/${op.id}`;
    this.#notify(call, {
      changeType: 'deleted',
      resourceUrl: url,
      resourceData: {
        '@odata.type': `#microsoft.graph.${op.odataType}`,
        '@odata.id': url,
        '@odata.etag': `W/"${call.etag++}"`,
        id: op.id,
        clientContext: op.clientContext ?? null,
        status: op.status,
        resultInfo: op.resultInfo ?? null,
        ...op.extra,
      },
    });
  }

  #notifyRoster(call: CallImpl): void {
    this.#notify(call, {
      changeType: 'updated',
      resourceUrl: `${this.#callUrl(call)}/participants`,
      resourceData: call.participants,
    });
  }

  #terminate(
    call: CallImpl,
    reason: CallOutcome['reason'],
    resultInfo: ResultInfo,
    extra: Record<string, unknown> = {},
  ): void {
    if (call.state === 'terminated') return;
    call.finish({ reason, resultInfo });
    this.#notifyCall(call, 'deleted', { state: 'terminated', resultInfo, ...extra });
    this.#o.notifier.flushHeld(call.id);
  }

  /** Runs `fn` after `ms` simulated ms unless the call has ended. Errors are kept in the transcript. */
  #later(call: CallImpl, ms: number, fn: () => void | Promise<void>): void {
    void this.#o.clock
      .sleep(ms, call.abortAll.signal)
      .then(async () => {
        if (call.state !== 'terminated') await fn();
      })
      .catch((err: unknown) => {
        if (!(err instanceof CallEnded) && call.state !== 'terminated')
          call.log({ type: 'scriptError', message: `simulator: ${String(err)}` });
      });
  }

  // ---------------------------------------------------------------- calls placed by scripted callers

  /**
   * Places an incoming call from a scripted caller: posts the `created`/`incoming` notification to
   * the callback URI and runs the script. Throws `TypeError` for an invalid script or when no
   * callback URI is known (neither the script's nor the simulator's default).
   */
  placeCall(input: unknown): SimCall {
    if (this.#stopped) throw new TypeError('placeCall: the simulator is stopped');
    const script = normalizeScript(input);
    const callbackUri = script.callbackUri ?? this.#o.defaultCallbackUri;
    if (callbackUri === undefined)
      throw new TypeError(
        'placeCall: no callback URI: set defaultCallbackUri on the simulator or callbackUri on the script',
      );
    const tenantId = this.#o.tenantId;
    const pstn = typeof script.from === 'string';
    const source: Identity = {
      '@odata.type': '#microsoft.graph.participantInfo',
      identity:
        typeof script.from === 'string'
          ? {
              '@odata.type': '#microsoft.graph.identitySet',
              phone: { '@odata.type': '#microsoft.graph.identity', id: script.from },
            }
          : {
              '@odata.type': '#microsoft.graph.identitySet',
              user: {
                '@odata.type': '#microsoft.graph.identity',
                id: script.from.userId,
                displayName: script.from.displayName ?? null,
                tenantId,
              },
            },
      region: 'amer',
      languageId: 'en-US',
    };
    const targetIdentity: Record<string, unknown> = { '@odata.type': '#microsoft.graph.identitySet' };
    if (pstn || script.to.startsWith('+')) {
      targetIdentity.applicationInstance = {
        '@odata.type': '#microsoft.graph.identity',
        id: this.#o.applicationInstanceId,
        displayName: 'Switchboard',
        tenantId,
      };
      targetIdentity.phone = { '@odata.type': '#microsoft.graph.identity', id: script.to };
    } else {
      targetIdentity.application = {
        '@odata.type': '#microsoft.graph.identity',
        id: script.to,
        displayName: 'Switchboard',
      };
    }
    const call = new CallImpl(
      'incoming',
      'incoming',
      source,
      [
        {
          '@odata.type': '#microsoft.graph.invitationParticipantInfo',
          identity: targetIdentity,
          endpointType: 'default',
          region: 'amer',
          languageId: null,
        },
      ],
      this.#o.clock,
      this.#o.notifier,
    );
    call.callbackUri = callbackUri;
    call.extraProps.tenantId = tenantId;
    call.participants = [
      {
        '@odata.type': '#microsoft.graph.participant',
        id: call.remoteParticipantId,
        info: source,
        isMuted: false,
        isInLobby: false,
        mediaStreams: [
          {
            mediaType: 'audio',
            label: 'main-audio',
            sourceId: '1',
            direction: 'sendReceive',
            serverMuted: false,
          },
        ],
      },
      {
        '@odata.type': '#microsoft.graph.participant',
        id: call.myParticipantId,
        info: { identity: { application: { id: this.#o.botAppId } } },
        isMuted: false,
        isInLobby: false,
        mediaStreams: [],
      },
    ];
    this.#calls.set(call.id, call);
    this.#notifyCall(call, 'created', {
      state: 'incoming',
      direction: 'incoming',
      callbackUri,
      source: call.source,
      targets: call.targets,
      requestedModalities: ['audio'],
      tenantId,
      myParticipantId: call.myParticipantId,
      callChainId: call.callChainId,
      id: call.id,
    });
    this.#later(call, this.#o.ringingTimeoutMs, () => {
      if (call.state === 'incoming') {
        call.log({ type: 'hangUp', by: 'simulator', reason: 'not answered within the ringing timeout' });
        this.#terminate(call, 'notAnswered', RESULTS.notAnswered());
      }
    });
    call.scriptPromise = this.#runScript(call, script.steps, script.pauseMs ?? 1000);
    return call;
  }

  async #runScript(call: CallImpl, steps: CallerStep[], pauseMs: number): Promise<void> {
    const { clock } = this.#o;
    try {
      for (const step of steps) {
        switch (step.type) {
          case 'wait':
            await clock.sleep(step.ms, call.abortAll.signal);
            break;
          case 'silence':
            call.log({ type: 'silence', ms: step.ms });
            await clock.sleep(step.ms, call.abortAll.signal);
            break;
          case 'waitForState':
            await call.until(() => call.statesSeen.has(step.state as CallState));
            break;
          case 'waitForPrompt': {
            const n = step.n;
            await call.until(() =>
              step.phase === 'end' ? call.promptsEnded >= n : call.promptsStarted >= n,
            );
            break;
          }
          case 'press':
            for (const action of parseKeys(step.keys, step.pauseMs ?? pauseMs)) {
              if ('pauseMs' in action) await clock.sleep(action.pauseMs, call.abortAll.signal);
              else {
                this.#keyPressed(call, action.key);
                await clock.sleep(step.interDigitMs ?? 200, call.abortAll.signal);
              }
            }
            break;
          case 'say': {
            if (step.waitForRecording !== false) await call.until(() => call.listening !== undefined);
            const start = clock.now();
            call.speech.push({ start, end: start + step.ms });
            call.log({ type: 'spoke', ms: step.ms });
            await clock.sleep(step.ms, call.abortAll.signal);
            call.changed();
            break;
          }
          case 'transferTarget':
            call.transferBehaviour = { outcome: step.outcome, afterMs: step.afterMs ?? 1000 };
            break;
          case 'hangUp': {
            const when = step.when ?? 'now';
            if (when === 'duringNextPrompt') {
              const target = call.promptsStarted + 1;
              await call.until(() => call.promptsStarted >= target);
              await clock.sleep(step.afterMs ?? 100, call.abortAll.signal);
            } else if (when === 'duringTransfer') {
              await call.until(() => call.everTransferring);
              await clock.sleep(step.afterMs ?? 100, call.abortAll.signal);
            } else if (step.afterMs !== undefined) {
              await clock.sleep(step.afterMs, call.abortAll.signal);
            }
            this.callerHangsUp(call.id);
            return;
          }
        }
      }
    } catch (err) {
      if (err instanceof CallEnded) {
        call.scriptError ??= 'the call ended before the script finished';
        return;
      }
      if (call.state === 'terminated') return;
      call.scriptError = err instanceof Error ? err.message : String(err);
      call.log({ type: 'scriptError', message: call.scriptError });
    }
  }

  /**
   * Queues how the callee of the bot's next outbound (non-meeting) call behaves; without one the
   * callee answers after `outboundAnswerDelayMs`. Throws `TypeError` for an invalid script.
   */
  expectOutboundCall(input: unknown): void {
    this.#callees.push(normalizeCallee(input));
  }

  /**
   * Runs extra caller steps on a live call now, alongside its script (e.g. keys typed in an
   * interactive test call). Resolves when they are done; problems land in the call's
   * `scriptError`. Throws `TypeError` for an unknown call or invalid steps.
   */
  runSteps(callId: string, input: unknown): Promise<void> {
    const call = this.#calls.get(callId);
    if (!call) throw new TypeError(`runSteps: no simulated call ${callId}`);
    const steps = normalizeSteps(input, 'steps');
    return this.#runScript(call, steps, 1000);
  }

  /** The caller hangs up now (no-op on an ended call). */
  callerHangsUp(callId: string): void {
    const call = this.#calls.get(callId);
    if (!call || call.state === 'terminated') return;
    call.log({ type: 'hangUp', by: 'caller', reason: 'caller hung up' });
    this.#terminate(call, 'callerHungUp', RESULTS.callerHungUp());
  }

  #keyPressed(call: CallImpl, key: DtmfKey): void {
    const tone = toneOf(key);
    const inCall = call.state === 'established';
    const delivered = inCall && call.toneSubscribed;
    let sequenceId: number | undefined;
    if (delivered) {
      sequenceId = ++call.toneSeq;
      this.#notifyCall(call, 'updated', {
        state: 'established',
        toneInfo: { '@odata.type': '#microsoft.graph.toneInfo', sequenceId, tone },
      });
    }
    const rec = call.currentJob?.kind === 'record' ? call.currentJob : undefined;
    if (inCall && rec && call.listening && this.#stopTones(rec.body).includes(key)) call.stopToneHit = key;
    call.log({ type: 'keyPressed', key, tone, delivered, sequenceId });
  }

  #stopTones(body: Record<string, unknown>): string[] {
    const raw = Array.isArray(body.stopTones) ? (body.stopTones as unknown[]) : [];
    return raw.map((t) => {
      const s = String(t);
      if (s === 'pound') return '#';
      if (s === 'star') return '*';
      return s.replace(/^tone/, '');
    });
  }

  // ---------------------------------------------------------------- Graph actions

  #get(callId: string): CallImpl {
    const call = this.#calls.get(callId);
    if (!call || call.state === 'terminated') {
      throw new GraphHttpError(404, 'itemNotFound', `Call ${callId} was not found or has already ended.`);
    }
    return call;
  }

  #requireActive(call: CallImpl, action: string): void {
    if (call.state === 'incoming')
      throw new GraphHttpError(409, 'Conflict', `Cannot ${action}: call ${call.id} has not been answered.`);
    if (call.state === 'terminating')
      throw new GraphHttpError(409, 'Conflict', `Cannot ${action}: call ${call.id} is terminating.`);
  }

  #op(
    call: CallImpl,
    odataType: string,
    clientContext: unknown,
    status: Operation['status'] = 'running',
    extra: Record<string, unknown> = {},
  ): Operation {
    const op: Operation = {
      id: randomUUID(),
      odataType,
      clientContext: typeof clientContext === 'string' ? clientContext : undefined,
      status,
      resultInfo: status === 'completed' ? RESULTS.ok() : undefined,
      extra,
    };
    call.operations.set(op.id, op);
    return op;
  }

  /** The synchronous body for an operation, as in the response fixtures. */
  opBody(op: Operation): Record<string, unknown> {
    return {
      '@odata.type': `#microsoft.graph.${op.odataType}`,
      id: op.id,
      status: op.status,
      clientContext: op.clientContext ?? null,
      resultInfo: op.resultInfo ?? null,
      ...op.extra,
    };
  }

  /** `Location` header value for an operation. */
  opLocation(callId: string, op: Operation): string {
    return `${this.#o.origin()}/v1.0/communications/calls/${callId}/operations/${op.id}`;
  }

  /** GET /communications/calls/{id}. */
  getCall(callId: string): Record<string, unknown> {
    return this.#get(callId).resource();
  }

  /** GET /communications/calls/{id}/operations/{opId}. */
  getOperation(callId: string, opId: string): Record<string, unknown> {
    const op = this.#get(callId).operations.get(opId);
    if (!op) throw new GraphHttpError(404, 'itemNotFound', `Operation ${opId} was not found.`);
    return this.opBody(op);
  }

  /** POST answer: 202; then `establishing` and `established` (mediaState audio active) notifications. */
  answer(callId: string, body: Record<string, unknown>): void {
    const call = this.#get(callId);
    if (call.direction !== 'incoming' || call.state !== 'incoming') {
      throw new GraphHttpError(
        409,
        'Conflict',
        `Call ${callId} is not in the incoming state (state: ${call.state}); it cannot be answered.`,
      );
    }
    if (typeof body.callbackUri !== 'string' || body.callbackUri === '')
      throw new GraphHttpError(400, 'BadRequest', 'answer: callbackUri is required.');
    if (!Array.isArray(body.acceptedModalities) || body.acceptedModalities.length === 0) {
      throw new GraphHttpError(400, 'BadRequest', 'answer: acceptedModalities is required.');
    }
    const mediaConfig = body.mediaConfig as { '@odata.type'?: unknown } | undefined;
    if (!mediaConfig || typeof mediaConfig['@odata.type'] !== 'string')
      throw new GraphHttpError(400, 'BadRequest', 'answer: mediaConfig with @odata.type is required.');
    call.callbackUri = body.callbackUri;
    call.extraProps.mediaConfig = mediaConfig;
    call.setState('establishing');
    this.#notifyCall(call, 'updated', { state: 'establishing' });
    this.#later(call, this.#o.establishDelayMs, () => this.#establish(call));
  }

  #establish(call: CallImpl): void {
    call.setState('established');
    this.#armKeepAlive(call);
    this.#notifyCall(call, 'updated', {
      state: 'established',
      mediaState: { '@odata.type': '#microsoft.graph.callMediaState', audio: 'active' },
    });
    this.#kickMedia(call);
  }

  /** POST reject: 202; then a `deleted` call notification (as in the reject fixture). */
  reject(callId: string, body: Record<string, unknown>): void {
    const call = this.#get(callId);
    if (call.state !== 'incoming')
      throw new GraphHttpError(
        409,
        'Conflict',
        `Call ${callId} is not in the incoming state (state: ${call.state}); it cannot be rejected.`,
      );
    const reason = typeof body.reason === 'string' ? body.reason : 'none';
    if (!['none', 'busy', 'forbidden'].includes(reason)) {
      throw new GraphHttpError(400, 'BadRequest', `reject: reason must be none, busy or forbidden.`);
    }
    call.log({ type: 'hangUp', by: 'bot', reason: `rejected (${reason})` });
    call.finish({ reason: 'rejected', resultInfo: RESULTS.rejected() });
    this.#notify(call, {
      changeType: 'deleted',
      resourceUrl: this.#callUrl(call),
      resourceData: { '@odata.type': '#microsoft.graph.call', '@odata.id': this.#callUrl(call) },
    });
  }

  /** POST redirect: 202; then `terminated` (the call left the bot). */
  redirect(callId: string, body: Record<string, unknown>): void {
    const call = this.#get(callId);
    if (call.state !== 'incoming')
      throw new GraphHttpError(
        409,
        'Conflict',
        `Call ${callId} is not in the incoming state (state: ${call.state}); it cannot be redirected.`,
      );
    if (!Array.isArray(body.targets) || body.targets.length === 0)
      throw new GraphHttpError(400, 'BadRequest', 'redirect: targets is required.');
    call.log({
      type: 'transfer',
      target: (body.targets as unknown[]).map(describeTarget).join(','),
      outcome: 'accepted',
    });
    this.#later(call, 500, () =>
      this.#terminate(call, 'redirected', RESULTS.redirected(), { direction: 'incoming' }),
    );
  }

  /** DELETE call: 204; then `terminating` and `terminated` (200/5001) notifications. */
  hangUp(callId: string): void {
    const call = this.#get(callId);
    if (call.state === 'terminating') return;
    call.log({ type: 'hangUp', by: 'bot', reason: 'bot deleted the call' });
    call.setState('terminating');
    this.#notifyCall(call, 'updated', { state: 'terminating' });
    this.#later(call, 100, () => this.#terminate(call, 'botHungUp', RESULTS.botHungUp()));
  }

  /** POST keepAlive: 200 with no body. */
  keepAlive(callId: string): void {
    this.#armKeepAlive(this.#get(callId));
  }

  /** (Re)starts the keep-alive window: Graph ends a call that gets no keepAlive within 45 minutes. */
  #armKeepAlive(call: CallImpl): void {
    const generation = ++call.keepAliveGeneration;
    this.#later(call, this.#o.keepAliveTimeoutMs, () => {
      if (call.keepAliveGeneration !== generation) return;
      call.log({ type: 'hangUp', by: 'simulator', reason: 'no keepAlive within the keep-alive interval' });
      this.#terminate(call, 'keepAliveExpired', RESULTS.keepAliveExpired());
    });
  }

  /** POST playPrompt: 200 playPromptOperation `running`; completion by notification once the audio has played. */
  playPrompt(callId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'play a prompt');
    if (!Array.isArray(body.prompts) || body.prompts.length === 0)
      throw new GraphHttpError(400, 'BadRequest', 'playPrompt: prompts must be a non-empty array.');
    const op = this.#op(call, 'playPromptOperation', body.clientContext);
    call.mediaQueue.push({ op, kind: 'play', body, abort: new AbortController() });
    this.#kickMedia(call);
    return op;
  }

  /** POST recordResponse: 200 recordOperation `running` (recordingLocation null); completion by notification. */
  recordResponse(callId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'record');
    for (const k of [
      'maxRecordDurationInSeconds',
      'initialSilenceTimeoutInSeconds',
      'maxSilenceTimeoutInSeconds',
    ]) {
      const v = body[k];
      if (v !== undefined && (typeof v !== 'number' || v <= 0))
        throw new GraphHttpError(400, 'BadRequest', `recordResponse: ${k} must be a positive number.`);
    }
    if (typeof body.maxRecordDurationInSeconds === 'number' && body.maxRecordDurationInSeconds > 120) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        'recordResponse: maxRecordDurationInSeconds cannot exceed 120.',
      );
    }
    const op = this.#op(call, 'recordOperation', body.clientContext, 'running', {
      recordingLocation: null,
      recordingAccessToken: null,
    });
    call.mediaQueue.push({ op, kind: 'record', body, abort: new AbortController() });
    this.#kickMedia(call);
    return op;
  }

  /** POST subscribeToTone: 200 subscribeToToneOperation `completed` (synchronous); key presses then arrive as tone notifications. */
  subscribeToTone(callId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'subscribe to tones');
    call.toneSubscribed = true;
    return this.#op(call, 'subscribeToToneOperation', body.clientContext, 'completed');
  }

  /** POST cancelMediaProcessing: 200 `completed`; running/queued playPrompt and recordResponse operations fail (400/8508) by notification. */
  cancelMediaProcessing(callId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'cancel media processing');
    const jobs = [...(call.currentJob ? [call.currentJob] : []), ...call.mediaQueue.splice(0)];
    for (const job of jobs) {
      job.abort.abort(new Error('canceled'));
      if (job !== call.currentJob) this.#failJob(call, job, RESULTS.canceled());
    }
    call.changed();
    return this.#op(call, 'cancelMediaProcessingOperation', body.clientContext, 'completed');
  }

  /** POST mute / unmute (the bot itself): 200 muteParticipantOperation / unmuteParticipantOperation `completed`; roster update notification. */
  muteSelf(callId: string, body: Record<string, unknown>, mute: boolean): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, mute ? 'mute' : 'unmute');
    const me = call.participants.find((p) => p.id === call.myParticipantId);
    if (me) me.isMuted = mute;
    this.#notifyRoster(call);
    return this.#op(
      call,
      mute ? 'muteParticipantOperation' : 'unmuteParticipantOperation',
      body.clientContext,
      'completed',
    );
  }

  /** POST updateRecordingStatus: 200 updateRecordingStatusOperation `completed`. Status must be notRecording, recording or failed. */
  updateRecordingStatus(callId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'update the recording status');
    if (!['notRecording', 'recording', 'failed'].includes(String(body.status))) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        'updateRecordingStatus: status must be notRecording, recording or failed.',
      );
    }
    call.extraProps.recordingStatus = body.status;
    return this.#op(call, 'updateRecordingStatusOperation', body.clientContext, 'completed');
  }

  /** POST sendDtmfTones: 200 sendDtmfTonesOperation `running`; `completed`/`completedSuccessfully` after the tones have played. */
  sendDtmfTones(callId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'send DTMF tones');
    const valid = /^(tone[0-9]|star|pound|[abcd]|flash)$/;
    if (
      !Array.isArray(body.tones) ||
      body.tones.length === 0 ||
      !body.tones.every((t) => typeof t === 'string' && valid.test(t))
    ) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        'sendDtmfTones: tones must be a non-empty array of tone values (tone0..tone9, star, pound).',
      );
    }
    const tones = body.tones as string[];
    const gap = typeof body.delayBetweenTonesMs === 'number' ? body.delayBetweenTonesMs : 300;
    const op = this.#op(call, 'sendDtmfTonesOperation', body.clientContext);
    this.#later(call, tones.length * (100 + gap), () => {
      op.status = 'completed';
      op.extra.completionReason = 'completedSuccessfully';
      call.log({ type: 'tonesSentByBot', tones });
      this.#notifyOperation(call, op);
    });
    return op;
  }

  /**
   * POST transfer: 202; then `transferring`, `transferAccepted`, and either `terminated` with
   * 0/7015 (target answered) or back to `established` with 500/7000 (target failed).
   */
  transfer(callId: string, body: Record<string, unknown>): void {
    const call = this.#get(callId);
    if (call.state !== 'established')
      throw new GraphHttpError(
        409,
        'Conflict',
        `Cannot transfer: call ${callId} is ${call.state}, not established.`,
      );
    if (typeof body.transferTarget !== 'object' || body.transferTarget === null)
      throw new GraphHttpError(400, 'BadRequest', 'transfer: transferTarget is required.');
    const target = describeTarget(body.transferTarget);
    const behaviour = call.transferBehaviour ?? this.#o.defaultTransfer;
    call.transferBehaviour = undefined;
    for (const job of [...(call.currentJob ? [call.currentJob] : []), ...call.mediaQueue.splice(0)])
      job.abort.abort(new Error('transfer'));
    call.everTransferring = true;
    call.setState('transferring');
    this.#notifyCall(call, 'updated', { state: 'transferring' });
    this.#later(call, 100, () => {
      call.setState('transferAccepted');
      this.#notifyCall(call, 'updated', { state: 'transferAccepted' });
      this.#later(call, behaviour.afterMs, () => {
        if (behaviour.outcome === 'accept') {
          call.log({ type: 'transfer', target, outcome: 'accepted' });
          this.#terminate(call, 'transferred', RESULTS.transferCompleted());
        } else {
          call.log({ type: 'transfer', target, outcome: 'failed' });
          call.setState('established');
          this.#notifyCall(call, 'updated', { state: 'established', resultInfo: RESULTS.transferFailed() });
          this.#kickMedia(call);
        }
      });
    });
  }

  /** GET participants: the roster. */
  listParticipants(callId: string): Record<string, unknown>[] {
    return this.#get(callId).participants;
  }

  /** GET participants/{id}. */
  getParticipant(callId: string, participantId: string): Record<string, unknown> {
    const p = this.#get(callId).participants.find((x) => x.id === participantId);
    if (!p) throw new GraphHttpError(404, 'itemNotFound', `Participant ${participantId} was not found.`);
    return p;
  }

  /** POST participants/invite: 200 inviteParticipantsOperation `running`; roster update and `completed` after 1 s. */
  inviteParticipants(callId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'invite participants');
    if (!Array.isArray(body.participants) || body.participants.length === 0 || body.participants.length > 5) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        'invite: participants must be an array of 1 to 5 invitationParticipantInfo.',
      );
    }
    const invited = body.participants as Record<string, unknown>[];
    const op = this.#op(call, 'inviteParticipantsOperation', body.clientContext, 'running', {
      participants: invited,
    });
    this.#later(call, 1000, () => {
      for (const info of invited) {
        call.participants.push({
          '@odata.type': '#microsoft.graph.participant',
          id: randomUUID(),
          info,
          isMuted: false,
          isInLobby: false,
          mediaStreams: [],
        });
      }
      this.#notifyRoster(call);
      op.status = 'completed';
      op.resultInfo = RESULTS.ok();
      this.#notifyOperation(call, op);
    });
    return op;
  }

  /** POST participants/{id}/mute: 200 muteParticipantOperation `completed`; roster update. */
  muteParticipant(callId: string, participantId: string, body: Record<string, unknown>): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, 'mute a participant');
    const p = call.participants.find((x) => x.id === participantId);
    if (!p) throw new GraphHttpError(404, 'itemNotFound', `Participant ${participantId} was not found.`);
    p.isMuted = true;
    this.#notifyRoster(call);
    return this.#op(call, 'muteParticipantOperation', body.clientContext, 'completed');
  }

  /**
   * POST participants/{id}/startHoldMusic (202 startHoldMusicOperation `running`, `completed` by
   * notification once the hold music plays) and stopHoldMusic (same with stopHoldMusicOperation).
   * `customPrompt` is loaded like a playPrompt prompt when given: a bad prompt fails the operation.
   */
  holdMusic(callId: string, participantId: string, body: Record<string, unknown>, start: boolean): Operation {
    const call = this.#get(callId);
    this.#requireActive(call, start ? 'start hold music' : 'stop hold music');
    const p = call.participants.find((x) => x.id === participantId);
    if (!p) throw new GraphHttpError(404, 'itemNotFound', `Participant ${participantId} was not found.`);
    if (start && p.onHold === true)
      throw new GraphHttpError(409, 'Conflict', `Participant ${participantId} is already on hold.`);
    if (!start && p.onHold !== true)
      throw new GraphHttpError(409, 'Conflict', `Participant ${participantId} is not on hold.`);
    const op = this.#op(
      call,
      start ? 'startHoldMusicOperation' : 'stopHoldMusicOperation',
      body.clientContext,
    );
    const custom = body.customPrompt;
    this.#later(call, 200, async () => {
      try {
        if (start && custom !== undefined && custom !== null) await loadPrompt(custom, this.#o);
        p.onHold = start;
        op.status = 'completed';
        op.resultInfo = RESULTS.ok();
      } catch (err) {
        op.status = 'failed';
        op.resultInfo =
          err instanceof PromptError
            ? rInfo(400, err.subcode, `Action failed, ${err.message}.`)
            : rInfo(500, 8500, 'Action failed.');
      }
      this.#notifyOperation(call, op);
    });
    return op;
  }

  /** POST changeScreenSharingRole: 200 with no body; role must be viewer or sharer. */
  changeScreenSharingRole(callId: string, body: Record<string, unknown>): void {
    const call = this.#get(callId);
    this.#requireActive(call, 'change the screen sharing role');
    if (body.role !== 'viewer' && body.role !== 'sharer')
      throw new GraphHttpError(400, 'BadRequest', 'changeScreenSharingRole: role must be viewer or sharer.');
    call.extraProps.screenSharingRole = body.role;
  }

  /** DELETE participants/{id}: 204; roster update. Removing the remote party of a two-party call ends the call. */
  removeParticipant(callId: string, participantId: string): void {
    const call = this.#get(callId);
    const i = call.participants.findIndex((x) => x.id === participantId);
    if (i < 0) throw new GraphHttpError(404, 'itemNotFound', `Participant ${participantId} was not found.`);
    call.participants.splice(i, 1);
    this.#notifyRoster(call);
    if (participantId === call.remoteParticipantId && call.participants.length <= 1) {
      call.log({ type: 'hangUp', by: 'bot', reason: 'bot removed the caller' });
      this.#later(call, 100, () => this.#terminate(call, 'botHungUp', RESULTS.botHungUp()));
    }
  }

  /**
   * POST /communications/calls: creates an outbound call or joins a meeting. 201 with the call
   * (`establishing`, `outgoing`); then `establishing` and, after the callee answers, `established`.
   */
  createCall(body: Record<string, unknown>): Record<string, unknown> {
    if (this.#stopped) throw new GraphHttpError(503, 'ServiceUnavailable', 'The simulator is stopped.');
    if (typeof body.callbackUri !== 'string' || body.callbackUri === '')
      throw new GraphHttpError(400, 'BadRequest', 'createCall: callbackUri is required.');
    const isMeeting = body.meetingInfo !== undefined && body.meetingInfo !== null;
    if (!isMeeting && (!Array.isArray(body.targets) || body.targets.length === 0)) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        'createCall: targets (or meetingInfo to join a meeting) is required.',
      );
    }
    if (!Array.isArray(body.requestedModalities) || body.requestedModalities.length === 0) {
      throw new GraphHttpError(400, 'BadRequest', 'createCall: requestedModalities is required.');
    }
    if (typeof body.mediaConfig !== 'object' || body.mediaConfig === null)
      throw new GraphHttpError(400, 'BadRequest', 'createCall: mediaConfig is required.');
    const source = (body.source as Identity | undefined) ?? {
      '@odata.type': '#microsoft.graph.participantInfo',
      identity: {
        '@odata.type': '#microsoft.graph.identitySet',
        application: {
          '@odata.type': '#microsoft.graph.identity',
          id: this.#o.botAppId,
          displayName: 'Switchboard',
        },
      },
    };
    const call = new CallImpl(
      'outgoing',
      'establishing',
      source,
      (body.targets as Identity[] | undefined) ?? [],
      this.#o.clock,
      this.#o.notifier,
    );
    call.callbackUri = body.callbackUri;
    call.extraProps = {
      tenantId: body.tenantId ?? this.#o.tenantId,
      mediaConfig: body.mediaConfig,
      chatInfo: body.chatInfo ?? null,
      meetingInfo: body.meetingInfo ?? null,
    };
    call.participants = [
      {
        '@odata.type': '#microsoft.graph.participant',
        id: call.myParticipantId,
        info: source,
        isMuted: false,
        isInLobby: false,
        mediaStreams: [],
      },
      ...((body.targets as Identity[] | undefined) ?? []).map((t) => ({
        '@odata.type': '#microsoft.graph.participant',
        id: call.remoteParticipantId,
        info: t,
        isMuted: false,
        isInLobby: false,
        mediaStreams: [],
      })),
    ];
    this.#calls.set(call.id, call);
    this.#notifyCall(call, 'updated', { state: 'establishing' });
    const callee = isMeeting ? undefined : this.#callees.shift();
    const answer = callee?.answer ?? 'accept';
    if (answer === 'accept') {
      this.#later(call, callee?.afterMs ?? this.#o.outboundAnswerDelayMs, () => {
        this.#establish(call);
        if (isMeeting) this.#notifyRoster(call);
        if (callee) call.scriptPromise = this.#runScript(call, callee.steps, callee.pauseMs ?? 1000);
      });
    } else if (answer === 'decline') {
      this.#later(call, callee?.afterMs ?? this.#o.outboundAnswerDelayMs, () => {
        call.log({ type: 'hangUp', by: 'caller', reason: 'callee declined' });
        this.#terminate(call, 'declined', RESULTS.declined());
      });
    } else {
      this.#later(call, this.#o.ringingTimeoutMs, () => {
        call.log({
          type: 'hangUp',
          by: 'simulator',
          reason: 'callee did not answer within the ringing timeout',
        });
        this.#terminate(call, 'notAnswered', RESULTS.notAnswered());
      });
    }
    return { ...call.resource(), state: 'establishing' };
  }

  // ---------------------------------------------------------------- media

  #kickMedia(call: CallImpl): void {
    if (call.mediaLoopRunning || call.state !== 'established' || call.mediaQueue.length === 0) return;
    call.mediaLoopRunning = true;
    void this.#mediaLoop(call).finally(() => {
      call.mediaLoopRunning = false;
      call.currentJob = undefined;
      this.#kickMedia(call);
    });
  }

  #failJob(call: CallImpl, job: MediaJob, resultInfo: ResultInfo): void {
    job.op.status = 'failed';
    job.op.resultInfo = resultInfo;
    if (call.state !== 'terminated') this.#notifyOperation(call, job.op);
  }

  async #mediaLoop(call: CallImpl): Promise<void> {
    while (call.state === 'established') {
      const job = call.mediaQueue.shift();
      if (!job) return;
      call.currentJob = job;
      try {
        if (job.kind === 'play') await this.#playJob(call, job);
        else await this.#recordJob(call, job);
      } catch (err) {
        if ((call.state as CallState) === 'terminated') return;
        if (err instanceof PromptError) {
          this.#failJob(call, job, rInfo(400, err.subcode, `Action failed, ${err.message}.`));
        } else if (job.abort.signal.aborted) {
          call.listening = undefined;
          if (call.state === 'established') this.#failJob(call, job, RESULTS.canceled());
        } else {
          this.#failJob(
            call,
            job,
            rInfo(500, 8500, `Action failed: ${err instanceof Error ? err.message : String(err)}`),
          );
        }
      } finally {
        call.currentJob = undefined;
      }
    }
  }

  async #playPrompts(
    call: CallImpl,
    job: MediaJob,
    prompts: unknown[],
    barge?: () => boolean,
  ): Promise<void> {
    for (const p of prompts) {
      let loaded;
      try {
        loaded = await loadPrompt(p, this.#o);
      } catch (err) {
        const rawUri = ((p ?? {}) as { mediaInfo?: { uri?: unknown } }).mediaInfo?.uri;
        const uri = typeof rawUri === 'string' ? rawUri : '';
        call.log({
          type: 'promptFailed',
          uri,
          reason: err instanceof Error ? err.message : String(err),
          operationId: job.op.id,
        });
        throw err;
      }
      job.abort.signal.throwIfAborted();
      const n = ++call.promptsStarted;
      call.log({
        type: 'promptStarted',
        n,
        uri: loaded.uri,
        text: loaded.text,
        durationMs: loaded.durationMs,
        operationId: job.op.id,
      });
      try {
        if (barge) {
          const end = this.#o.clock.now() + loaded.durationMs;
          await call.until(() => this.#o.clock.now() >= end - 1 || barge(), { timeoutMs: loaded.durationMs });
        } else {
          await this.#o.clock.sleep(loaded.durationMs, job.abort.signal);
        }
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('timed out')) {
          // the prompt played to its end
        } else {
          call.promptsEnded++;
          call.log({ type: 'promptFinished', n, uri: loaded.uri, interrupted: true });
          throw err;
        }
      }
      call.promptsEnded++;
      call.log({ type: 'promptFinished', n, uri: loaded.uri, interrupted: barge?.() ?? false });
      if (barge?.()) return;
    }
  }

  async #playJob(call: CallImpl, job: MediaJob): Promise<void> {
    await this.#playPrompts(call, job, job.body.prompts as unknown[]);
    job.op.status = 'completed';
    job.op.resultInfo = RESULTS.ok();
    this.#notifyOperation(call, job.op);
  }

  async #recordJob(call: CallImpl, job: MediaJob): Promise<void> {
    const { clock } = this.#o;
    const body = job.body;
    const prompts = Array.isArray(body.prompts) ? (body.prompts as unknown[]) : [];
    const keysAtStart = call.transcriptList.filter((e) => e.type === 'keyPressed').length;
    const bargeIn = body.bargeInAllowed === true;
    const jobStart = clock.now();
    // Barge-in: a key press or the caller starting to speak stops the prompts and starts recording.
    const barged = (): boolean =>
      bargeIn &&
      (call.transcriptList.filter((e) => e.type === 'keyPressed').length > keysAtStart ||
        call.speech.some((sp) => sp.start >= jobStart));
    const abortWatch = (): boolean => job.abort.signal.aborted;
    await this.#playPrompts(call, job, prompts, bargeIn ? () => barged() || abortWatch() : undefined);
    job.abort.signal.throwIfAborted();
    if (body.playBeep === true) await clock.sleep(300, job.abort.signal);
    const maxMs =
      (typeof body.maxRecordDurationInSeconds === 'number' ? body.maxRecordDurationInSeconds : 5) * 1000;
    const initialMs =
      (typeof body.initialSilenceTimeoutInSeconds === 'number' ? body.initialSilenceTimeoutInSeconds : 5) *
      1000;
    const silenceMs =
      (typeof body.maxSilenceTimeoutInSeconds === 'number' ? body.maxSilenceTimeoutInSeconds : 5) * 1000;
    const start = clock.now();
    call.stopToneHit = undefined;
    call.listening = { opId: job.op.id, since: start };
    call.changed();
    let endReason = '';
    let result: ResultInfo = RESULTS.recordMaxDuration();
    try {
      for (;;) {
        job.abort.signal.throwIfAborted();
        const now = clock.now();
        const heard = call.speech.filter((s) => s.end > start && s.start <= now);
        const speaking = heard.some((s) => s.start <= now && s.end > now);
        const lastSpeechEnd = heard.reduce((m, s) => Math.max(m, Math.min(s.end, now)), 0);
        const hit = call.stopToneHit as DtmfKey | undefined;
        if (hit !== undefined) {
          endReason = `stop tone ${hit}`;
          result = RESULTS.recordStopTone();
          break;
        }
        if (now - start >= maxMs) {
          endReason = 'max record duration';
          result = RESULTS.recordMaxDuration();
          break;
        }
        if (heard.length === 0 && now - start >= initialMs) {
          endReason = 'initial silence timeout';
          result = RESULTS.recordInitialSilence();
          break;
        }
        if (heard.length > 0 && !speaking && now - lastSpeechEnd >= silenceMs) {
          endReason = 'silence after speech';
          result = RESULTS.recordSilence();
          break;
        }
        // next deadline
        const deadlines = [start + maxMs];
        if (heard.length === 0) deadlines.push(start + initialMs);
        else if (!speaking) deadlines.push(lastSpeechEnd + silenceMs);
        else deadlines.push(...heard.filter((s) => s.end > now).map((s) => s.end));
        const next = Math.min(...deadlines) - now;
        const ac = new AbortController();
        const onAbort = (): void => ac.abort();
        job.abort.signal.addEventListener('abort', onAbort, { once: true });
        await Promise.race([
          call.nextChange(),
          clock.sleep(Math.max(1, next), ac.signal).catch(() => undefined),
        ]);
        ac.abort();
        job.abort.signal.removeEventListener('abort', onAbort);
      }
    } finally {
      call.listening = undefined;
    }
    const end = clock.now();
    const durationMs = Math.round(end - start);
    const spokeMs = call.speech
      .filter((s) => s.end > start)
      .reduce((t, s) => t + Math.max(0, Math.min(s.end, end) - Math.max(s.start, start)), 0);
    let location: string | undefined;
    if (result.code === 200) {
      const recId = randomUUID();
      const token = randomUUID().replace(/-/g, '');
      this.#recordings.set(recId, { token, wav: generateRecordingWav(durationMs, spokeMs) });
      location = `${this.#o.origin()}/sim/recordings/${recId}`;
      job.op.status = 'completed';
      job.op.extra = { recordingLocation: location, recordingAccessToken: token };
    } else {
      job.op.status = 'failed';
    }
    job.op.resultInfo = result;
    call.log({
      type: 'recording',
      operationId: job.op.id,
      durationMs,
      endReason,
      recordingLocation: location,
    });
    this.#notifyOperation(call, job.op);
  }
}
