/**
 * The production Microsoft Graph cloud-communications client: every caller-visible action of
 * Switchboard (answer, prompts, tones, recording, transfer, hang up, participants, outbound calls).
 * Paths, methods and bodies follow the Graph v1.0 reference pages named on each method
 * (https://learn.microsoft.com/graph/api/<page>?view=graph-rest-1.0).
 *
 * Built on `@microsoft/microsoft-graph-client` (`Client.initWithMiddleware`) with our own chain:
 *
 * 1. {@link BearerAuthMiddleware}: always sets `Authorization: Bearer <token>` from the
 *    {@link TokenProvider}. The library's `AuthenticationHandler` is not used because it only
 *    attaches the token when the URL is `https://` and its host is a Graph host or in `customHosts`
 *    (`GraphRequestUtil.isValidEndpoint` lower-cases the URL and only handles `https://`), and for
 *    any other URL it *deletes* the header: against the simulator (`http://127.0.0.1:PORT`) no
 *    token would be sent at all. Our client only ever talks to the one configured `baseUrl`.
 * 2. {@link RetryMiddleware}: 429 and 503 retried, 504 and network failures/timeouts retried only
 *    for idempotent requests; `Retry-After` (seconds or HTTP date) honoured; otherwise exponential
 *    backoff with full jitter; every wait capped at `maxDelayMs` (a longer `Retry-After` is not
 *    waited out in-process: the error surfaces, retryable, with `retryAfterMs`, so a Durable
 *    orchestration can wait with a durable timer). The library's `RetryHandler` was not used: its
 *    cap is a fixed 180 s, it always adds up to 1 s of random delay, and it cannot tell an
 *    idempotent request from one that must not be repeated after a 504.
 * 3. {@link FetchMiddleware}: the library's `HTTPMessageHandler` role (it calls global `fetch`),
 *    plus an injectable `fetch`, a per-attempt timeout, and a buffered body so the timeout also
 *    covers reading it.
 *
 * Every request carries a fresh `client-request-id` GUID (kept across its retries), which Graph
 * echoes and logs; errors are {@link GraphError}s carrying status, Graph code, `request-id` and
 * `client-request-id`.
 */
import { randomUUID } from 'node:crypto';

import {
  Client,
  ResponseType,
  type Context,
  type Middleware,
  type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';

import { GraphError, classifyStatus } from './errors.js';
import type { TokenProvider } from './token-provider.js';
import type {
  Call,
  CancelMediaProcessingOperation,
  CommsOperation,
  CreateCallRequest,
  InvitationParticipantInfo,
  InviteParticipantsOperation,
  MediaConfig,
  MediaPrompt,
  Modality,
  MuteParticipantOperation,
  Participant,
  PlayPromptOperation,
  RecordOperation,
  SendDtmfTonesOperation,
  SubscribeToToneOperation,
  Tone,
  UnmuteParticipantOperation,
  UpdateRecordingStatusOperation,
} from './types.js';

/** Retry policy. Delays in milliseconds. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff step; attempt n waits a random time in [0, base·2^(n-1)] (full jitter). Default 500. */
  baseDelayMs?: number;
  /** Cap of any single wait, `Retry-After` included. Default 30 000. */
  maxDelayMs?: number;
}

/** Options of {@link GraphCallsClient}. */
export interface GraphCallsClientOptions {
  /** Graph base URL with version: `https://graph.microsoft.com/v1.0`, or the simulator's `http://127.0.0.1:PORT/v1.0`. */
  baseUrl: string;
  tokenProvider: TokenProvider;
  retry?: RetryOptions;
  /** Per-attempt timeout in milliseconds (headers and body). Default 10 000. */
  timeoutMs?: number;
  /** The fetch to use (default: global fetch). */
  fetch?: typeof fetch;
  /** Sleep used between retries (tests may shorten it). Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for jitter. Default Math.random. */
  random?: () => number;
}

/** Answer: `POST /communications/calls/{id}/answer` (call-answer). Graph answers 202 with no body. */
export interface AnswerParams {
  callbackUri: string;
  mediaConfig: MediaConfig;
  acceptedModalities: Modality[];
  callOptions?: {
    '@odata.type'?: string;
    isContentSharingNotificationEnabled?: boolean;
    [key: string]: unknown;
  };
  participantCapacity?: number;
  [key: string]: unknown;
}

/** Reject: `POST …/reject` (call-reject). `reason`: `none` | `busy` | `forbidden`. */
export interface RejectParams {
  reason?: 'none' | 'busy' | 'forbidden';
  callbackUri?: string;
  [key: string]: unknown;
}

/** Redirect: `POST …/redirect` (call-redirect). `timeout` in seconds (15–90). */
export interface RedirectParams {
  targets: InvitationParticipantInfo[];
  timeout?: number;
  callbackUri?: string;
  [key: string]: unknown;
}

/** Transfer: `POST …/transfer` (call-transfer). Consultative when `transferTarget.replacesCallId` is set. */
export interface TransferParams {
  transferTarget: InvitationParticipantInfo;
  /** The participant to transfer (group calls); omit for P2P. */
  transferee?: {
    identity: InvitationParticipantInfo['identity'];
    participantId?: string;
    [key: string]: unknown;
  };
  clientContext?: string;
  [key: string]: unknown;
}

/** playPrompt: `POST …/playPrompt` (call-playprompt). */
export interface PlayPromptParams {
  prompts: MediaPrompt[];
  /** Correlation key echoed in the completion notification; generated when omitted. */
  clientContext?: string;
  [key: string]: unknown;
}

/** recordResponse: `POST …/recordResponse` (call-record). Durations in seconds. */
export interface RecordResponseParams {
  prompts?: MediaPrompt[];
  bargeInAllowed?: boolean;
  initialSilenceTimeoutInSeconds?: number;
  maxSilenceTimeoutInSeconds?: number;
  maxRecordDurationInSeconds?: number;
  playBeep?: boolean;
  /** Keys that end the recording, e.g. `['#', '*']`. */
  stopTones?: string[];
  clientContext?: string;
  [key: string]: unknown;
}

/** Parameters of operations that take only a correlation key. */
export interface ClientContextParams {
  /** Generated (a GUID) when omitted; read it back from the returned operation. */
  clientContext?: string;
}

/** updateRecordingStatus: `status` is `notRecording` | `recording` | `failed`. */
export interface UpdateRecordingStatusParams extends ClientContextParams {
  status: 'notRecording' | 'recording' | 'failed';
}

/** sendDtmfTones: `POST …/sendDtmfTones` (call-senddtmftones). `delayBetweenTonesMs` in milliseconds. */
export interface SendDtmfTonesParams extends ClientContextParams {
  tones: Tone[];
  delayBetweenTonesMs?: number;
}

/** inviteParticipants: `POST …/participants/invite` (participant-invite); up to 5 participants. */
export interface InviteParticipantsParams extends ClientContextParams {
  participants: InvitationParticipantInfo[];
}

/** startHoldMusic: `POST …/participants/{id}/startHoldMusic` (participant-startholdmusic). */
export interface StartHoldMusicParams extends ClientContextParams {
  customPrompt?: MediaPrompt;
}

/** Per-request state shared by our middlewares (found by class in the request's MiddlewareControl). */
export class CallRequestOptions implements MiddlewareOptions {
  attempts = 0;
  /** Set by {@link FetchMiddleware} when the last attempt got no answer. */
  failure: { kind: 'timeout' | 'network'; message: string; cause: unknown } | undefined;
  /** Set by {@link RetryMiddleware} when it stopped because the next wait would exceed the cap. */
  retryAfterTooLongMs: number | undefined;
  /** Set by {@link BearerAuthMiddleware} when the token provider failed (rethrown as is). */
  tokenFailure: unknown;

  constructor(
    readonly idempotent: boolean,
    readonly clientRequestId: string,
  ) {}
}

function requestOptions(context: Context): CallRequestOptions | undefined {
  const found = context.middlewareControl?.getMiddlewareOptions(CallRequestOptions);
  return found instanceof CallRequestOptions ? found : undefined;
}

/** The URL of the request (graph-client always passes a string URL; a Request is read for its url). */
function requestUrl(context: Context): string {
  const r: unknown = context.request;
  return typeof r === 'string' ? r : r instanceof Request ? r.url : String(r);
}

function setHeader(context: Context, name: string, value: string): void {
  const options = (context.options ??= {});
  const headers = options.headers;
  if (headers instanceof Headers) headers.set(name, value);
  else if (Array.isArray(headers)) headers.push([name, value]);
  else options.headers = { ...(headers ?? {}), [name]: value };
}

/** Sets `Authorization: Bearer` on every request (see the module doc for why not `AuthenticationHandler`). */
export class BearerAuthMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly tokenProvider: TokenProvider) {}

  async execute(context: Context): Promise<void> {
    let token: string;
    try {
      token = await this.tokenProvider.getToken();
    } catch (err) {
      const ctl = requestOptions(context);
      if (ctl !== undefined) ctl.tokenFailure = err;
      throw err;
    }
    setHeader(context, 'Authorization', `Bearer ${token}`);
    if (this.next === undefined) throw new Error('BearerAuthMiddleware must not be last');
    await this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** Parses `Retry-After` (delta-seconds or HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Retries per {@link RetryOptions}; see the module doc for which failures are retried. */
export class RetryMiddleware implements Middleware {
  private next: Middleware | undefined;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    options: RetryOptions,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly random: () => number,
  ) {
    this.maxRetries = Math.max(0, options.maxRetries ?? 3);
    this.baseDelayMs = Math.max(0, options.baseDelayMs ?? 500);
    this.maxDelayMs = Math.max(0, options.maxDelayMs ?? 30_000);
  }

  async execute(context: Context): Promise<void> {
    if (this.next === undefined) throw new Error('RetryMiddleware must not be last');
    const ctl = requestOptions(context) ?? new CallRequestOptions(false, '');
    for (let attempt = 1; ; attempt += 1) {
      ctl.attempts = attempt;
      ctl.failure = undefined;
      let thrown: unknown;
      let failed = false;
      try {
        await this.next.execute(context);
      } catch (err) {
        thrown = err;
        failed = true;
      }
      const status = failed ? undefined : context.response?.status;
      const retry = failed
        ? ctl.idempotent
        : status === 429 || status === 503 || (status === 504 && ctl.idempotent);
      if (!retry || attempt > this.maxRetries) {
        if (failed) throw thrown;
        return;
      }
      const retryAfter =
        status === undefined
          ? undefined
          : parseRetryAfter(context.response?.headers.get('retry-after') ?? null, Date.now());
      const delay =
        retryAfter ??
        Math.floor(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
      if (delay > this.maxDelayMs) {
        ctl.retryAfterTooLongMs = delay;
        return;
      }
      setHeader(context, 'Retry-Attempt', String(attempt));
      await this.sleep(delay);
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** Sends the request with a per-attempt timeout and buffers the answer (last in the chain). */
export class FetchMiddleware implements Middleware {
  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const ctl = requestOptions(context);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    try {
      const res = await this.fetchImpl(requestUrl(context), {
        ...(context.options as RequestInit),
        signal: abort.signal,
      });
      const text = await res.text();
      const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
      context.response = new Response(nullBody ? null : text, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
    } catch (err) {
      const kind = abort.signal.aborted ? 'timeout' : 'network';
      const message =
        kind === 'timeout'
          ? `no answer within ${this.timeoutMs} ms`
          : err instanceof Error
            ? err.message
            : String(err);
      if (ctl !== undefined) ctl.failure = { kind, message, cause: err };
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

interface SendOptions {
  idempotent: boolean;
  body?: unknown;
}

function splitBaseUrl(baseUrl: string): { origin: string; version: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new GraphError(
      'GRAPH.BAD_CONFIG',
      `baseUrl is not a URL: ${baseUrl}`,
      { status: 0 },
      { retryable: false },
    );
  }
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const version = segments.pop();
  if (version === undefined) {
    throw new GraphError(
      'GRAPH.BAD_CONFIG',
      `baseUrl has no version segment (…/v1.0): ${baseUrl}`,
      { status: 0 },
      { retryable: false },
    );
  }
  return { origin: `${url.origin}${segments.length > 0 ? `/${segments.join('/')}` : ''}`, version };
}

const enc = encodeURIComponent;

/**
 * Typed client for `/communications/calls`. All methods are async and throw {@link GraphError}
 * (or the token provider's `TokenAcquisitionError`, `GRAPH.TOKEN_FAILED`, unchanged; nothing is
 * sent then). The constructor throws `GRAPH.BAD_CONFIG` for a `baseUrl` without a version segment.
 *
 * Idempotency: GET, DELETE and state-setting actions (keepAlive, mute/unmute, muteParticipant,
 * updateRecordingStatus, subscribeToTone, cancelMediaProcessing) are retried after a timeout,
 * network failure or 504. The others (answer, reject, redirect, transfer, playPrompt,
 * recordResponse, sendDtmfTones, inviteParticipants, startHoldMusic, createCall) are not: after
 * such a failure they throw `GRAPH.TIMEOUT`/`GRAPH.NETWORK`/`GRAPH.UNAVAILABLE` with
 * `metadata.outcomeUnknown: true` and `retryable: false`, and each method's doc says how to find
 * out what happened. 429 and 503 are retried for all (Graph refused the request, so it did not
 * take effect).
 *
 * @example
 * const graph = new GraphCallsClient({ baseUrl: 'https://graph.microsoft.com/v1.0', tokenProvider });
 * await graph.answer(callId, {
 *   callbackUri: 'https://bot.example.com/api/calling',
 *   acceptedModalities: ['audio'],
 *   mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
 * });
 * const op = await graph.playPrompt(callId, { prompts, clientContext: 'step-welcome-1' });
 * // completion arrives as an operationCompleted CallEvent with clientContext 'step-welcome-1'
 */
export class GraphCallsClient {
  private readonly client: Client;

  constructor(options: GraphCallsClientOptions) {
    const { origin, version } = splitBaseUrl(options.baseUrl);
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.client = Client.initWithMiddleware({
      baseUrl: origin,
      defaultVersion: version,
      middleware: [
        new BearerAuthMiddleware(options.tokenProvider),
        new RetryMiddleware(options.retry ?? {}, sleep, options.random ?? Math.random),
        new FetchMiddleware(options.fetch ?? globalThis.fetch, options.timeoutMs ?? 10_000),
      ],
    });
  }

  // ---- call actions ----------------------------------------------------------------------

  /**
   * Answers an incoming call (call-answer): `POST /communications/calls/{id}/answer`, 202, no body.
   * Then expect `callEstablishing` / `callEstablished` notifications (in either order).
   * Not idempotent: after `outcomeUnknown`, do not answer again blindly — `getCall` (state
   * `establishing`/`established` means it worked) or wait for the `callEstablished` notification;
   * answering twice is rejected by Graph.
   */
  async answer(callId: string, params: AnswerParams): Promise<void> {
    await this.send('POST', `/communications/calls/${enc(callId)}/answer`, {
      idempotent: false,
      body: params,
    });
  }

  /**
   * Rejects an incoming call (call-reject): `POST …/reject`, 202. Not idempotent: after
   * `outcomeUnknown`, wait for the `deleted` call notification (`callTerminated`) or `getCall`
   * (404 means it is gone).
   */
  async reject(callId: string, params: RejectParams = {}): Promise<void> {
    await this.send('POST', `/communications/calls/${enc(callId)}/reject`, {
      idempotent: false,
      body: params,
    });
  }

  /**
   * Redirects an incoming, not yet answered call (call-redirect): `POST …/redirect`, 202.
   * Not idempotent: after `outcomeUnknown`, wait for the `terminated` notification of this call
   * (redirect ends it for the bot) or `getCall`.
   */
  async redirect(callId: string, params: RedirectParams): Promise<void> {
    await this.send('POST', `/communications/calls/${enc(callId)}/redirect`, {
      idempotent: false,
      body: params,
    });
  }

  /**
   * Transfers an established call (call-transfer), blind or consultative
   * (`transferTarget.replacesCallId`): `POST …/transfer`, 202. Outcome by notification:
   * `transferAccepted`/`transferring`, then `transferCompleted` or `transferFailed`.
   * Not idempotent: after `outcomeUnknown`, wait for those notifications (a timer racing them)
   * or `getCall` (state `transferring`/`transferAccepted`, or 404 once completed); never re-send.
   */
  async transfer(callId: string, params: TransferParams): Promise<void> {
    await this.send('POST', `/communications/calls/${enc(callId)}/transfer`, {
      idempotent: false,
      body: params,
    });
  }

  /**
   * Plays prompts (call-playprompt): `POST …/playPrompt` → `playPromptOperation` (`running`);
   * completion comes as an `operationCompleted`/`operationFailed` notification with the same
   * `clientContext`. Not idempotent (a retry would play twice): after `outcomeUnknown`, wait for
   * a notification carrying this `clientContext` for the prompt's length plus a margin; if none
   * comes, treat the prompt as not played and decide in the flow (e.g. replay once).
   */
  async playPrompt(callId: string, params: PlayPromptParams): Promise<PlayPromptOperation> {
    return this.operation<PlayPromptOperation>(callId, 'playPrompt', params, false);
  }

  /**
   * Records the caller (call-record): `POST …/recordResponse` → `recordOperation`; the
   * completion notification carries `recordingLocation` and `recordingAccessToken`.
   * Not idempotent: after `outcomeUnknown`, wait for the notification with this `clientContext`
   * (up to `maxRecordDurationInSeconds` plus a margin) before starting another recording.
   */
  async recordResponse(callId: string, params: RecordResponseParams): Promise<RecordOperation> {
    return this.operation<RecordOperation>(callId, 'recordResponse', params, false);
  }

  /** Subscribes to DTMF (call-subscribetotone); tones then arrive as `tone` events. Idempotent. */
  async subscribeToTone(callId: string, params: ClientContextParams = {}): Promise<SubscribeToToneOperation> {
    return this.operation<SubscribeToToneOperation>(callId, 'subscribeToTone', params, true);
  }

  /** Cancels all running playPrompt/recordResponse (call-cancelmediaprocessing). Idempotent. */
  async cancelMediaProcessing(
    callId: string,
    params: ClientContextParams = {},
  ): Promise<CancelMediaProcessingOperation> {
    return this.operation<CancelMediaProcessingOperation>(callId, 'cancelMediaProcessing', params, true);
  }

  /**
   * Keeps the call alive (call-keepalive): `POST …/keepAlive`, 200, no body. Graph ends calls that
   * see no keepAlive for 45 minutes; send one every 15–45 minutes. Idempotent. A 404 means the
   * call has ended.
   */
  async keepAlive(callId: string): Promise<void> {
    await this.send('POST', `/communications/calls/${enc(callId)}/keepAlive`, { idempotent: true });
  }

  /** Mutes the bot itself (call-mute; group calls). Idempotent. */
  async mute(callId: string, params: ClientContextParams = {}): Promise<MuteParticipantOperation> {
    return this.operation<MuteParticipantOperation>(callId, 'mute', params, true);
  }

  /** Unmutes the bot itself (call-unmute). Idempotent. */
  async unmute(callId: string, params: ClientContextParams = {}): Promise<UnmuteParticipantOperation> {
    return this.operation<UnmuteParticipantOperation>(callId, 'unmute', params, true);
  }

  /** Tells Graph whether the bot records (call-updaterecordingstatus). Idempotent. */
  async updateRecordingStatus(
    callId: string,
    params: UpdateRecordingStatusParams,
  ): Promise<UpdateRecordingStatusOperation> {
    return this.operation<UpdateRecordingStatusOperation>(callId, 'updateRecordingStatus', params, true);
  }

  /**
   * Sends DTMF tones into the call (call-senddtmftones) → `sendDtmfTonesOperation`.
   * Not idempotent (tones would be sent twice): after `outcomeUnknown`, wait for the
   * notification with this `clientContext`.
   */
  async sendDtmfTones(callId: string, params: SendDtmfTonesParams): Promise<SendDtmfTonesOperation> {
    return this.operation<SendDtmfTonesOperation>(callId, 'sendDtmfTones', params, false);
  }

  /** Changes the bot's screen sharing role (call-changescreensharingrole; app-hosted media only). Idempotent. */
  async changeScreenSharingRole(callId: string, params: { role: 'viewer' | 'sharer' }): Promise<void> {
    await this.send('POST', `/communications/calls/${enc(callId)}/changeScreenSharingRole`, {
      idempotent: true,
      body: params,
    });
  }

  /**
   * Hangs up (call-delete): `DELETE /communications/calls/{id}`, 204; `callTerminating` and
   * `callTerminated` notifications follow. Idempotent: a 404 on a retry after a lost answer
   * means the first DELETE worked and resolves normally.
   */
  async hangUp(callId: string): Promise<void> {
    await this.deleteTolerant(`/communications/calls/${enc(callId)}`);
  }

  /** Gets the call (call-get). Throws `GRAPH.NOT_FOUND` once it has ended. */
  async getCall(callId: string): Promise<Call> {
    return this.json<Call>(
      await this.send('GET', `/communications/calls/${enc(callId)}`, { idempotent: true }),
    );
  }

  /**
   * Places an outbound call or joins a meeting (application-post-calls): `POST /communications/calls`,
   * 201 with the new `call` (state `establishing`). Not idempotent (a retry would ring twice):
   * after `outcomeUnknown`, wait for a notification on the `callbackUri` given (put a correlation
   * id in its path or query) before placing the call again.
   */
  async createCall(body: CreateCallRequest): Promise<Call> {
    return this.json<Call>(await this.send('POST', '/communications/calls', { idempotent: false, body }));
  }

  // ---- participants ----------------------------------------------------------------------

  /** Lists the call's participants (call-list-participants). */
  async listParticipants(callId: string): Promise<Participant[]> {
    const page = this.json<{ value?: Participant[] }>(
      await this.send('GET', `/communications/calls/${enc(callId)}/participants`, { idempotent: true }),
    );
    return page.value ?? [];
  }

  /**
   * Invites participants (participant-invite) → `inviteParticipantsOperation`. Not idempotent:
   * after `outcomeUnknown`, wait for the operation notification with this `clientContext` or a
   * `participantsUpdated` roster that shows the invitee.
   */
  async inviteParticipants(
    callId: string,
    params: InviteParticipantsParams,
  ): Promise<InviteParticipantsOperation> {
    return this.operation<InviteParticipantsOperation>(callId, 'participants/invite', params, false);
  }

  /** Mutes another participant (participant-mute). Idempotent. */
  async muteParticipant(
    callId: string,
    participantId: string,
    params: ClientContextParams = {},
  ): Promise<MuteParticipantOperation> {
    return this.operation<MuteParticipantOperation>(
      callId,
      `participants/${enc(participantId)}/mute`,
      params,
      true,
    );
  }

  /**
   * Puts a participant on hold with music (participant-startholdmusic). Not idempotent: after
   * `outcomeUnknown`, wait for the operation notification with this `clientContext`.
   */
  async startHoldMusic(
    callId: string,
    participantId: string,
    params: StartHoldMusicParams = {},
  ): Promise<CommsOperation> {
    return this.operation<CommsOperation>(
      callId,
      `participants/${enc(participantId)}/startHoldMusic`,
      params,
      false,
    );
  }

  /** Takes a participant off hold (participant-stopholdmusic). Idempotent. */
  async stopHoldMusic(
    callId: string,
    participantId: string,
    params: ClientContextParams = {},
  ): Promise<CommsOperation> {
    return this.operation<CommsOperation>(
      callId,
      `participants/${enc(participantId)}/stopHoldMusic`,
      params,
      true,
    );
  }

  /** Removes a participant (participant-delete): `DELETE …/participants/{id}`, 204. Idempotent like hangUp. */
  async removeParticipant(callId: string, participantId: string): Promise<void> {
    await this.deleteTolerant(`/communications/calls/${enc(callId)}/participants/${enc(participantId)}`);
  }

  // ---- plumbing --------------------------------------------------------------------------

  private async operation<T extends CommsOperation>(
    callId: string,
    action: string,
    params: ClientContextParams,
    idempotent: boolean,
  ): Promise<T> {
    const body = { ...params, clientContext: params.clientContext ?? randomUUID() };
    const res = await this.send('POST', `/communications/calls/${enc(callId)}/${action}`, {
      idempotent,
      body,
    });
    const op = this.json<T>(res);
    return op;
  }

  private async deleteTolerant(path: string): Promise<void> {
    try {
      await this.send('DELETE', path, { idempotent: true });
    } catch (err) {
      const attempts = err instanceof GraphError ? err.metadata.attempts : undefined;
      if (err instanceof GraphError && err.status === 404 && typeof attempts === 'number' && attempts > 1)
        return;
      throw err;
    }
  }

  private json<T>(res: { text: string; status: number; request: string; clientRequestId: string }): T {
    try {
      return JSON.parse(res.text) as T;
    } catch (err) {
      throw new GraphError(
        'GRAPH.BAD_RESPONSE',
        `${res.request}: answer ${res.status} is not JSON`,
        { status: res.status, request: res.request, clientRequestId: res.clientRequestId },
        { retryable: false, cause: err },
      );
    }
  }

  private async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: SendOptions,
  ): Promise<{ text: string; status: number; request: string; clientRequestId: string }> {
    const clientRequestId = randomUUID();
    const ctl = new CallRequestOptions(options.idempotent, clientRequestId);
    const request = `${method} ${path}`;
    const req = this.client
      .api(path)
      .responseType(ResponseType.RAW)
      .header('client-request-id', clientRequestId)
      .middlewareOptions([ctl]);
    let res: Response;
    try {
      res = (await (method === 'GET'
        ? req.get()
        : method === 'DELETE'
          ? req.delete()
          : req.post(options.body === undefined ? undefined : options.body))) as Response;
    } catch (err) {
      throw this.noAnswerError(ctl, request, err);
    }
    const text = await res.text();
    if (res.ok && ctl.retryAfterTooLongMs === undefined) {
      return { text, status: res.status, request, clientRequestId };
    }
    throw this.statusError(res, text, ctl, request);
  }

  private noAnswerError(ctl: CallRequestOptions, request: string, err: unknown): Error {
    if (ctl.tokenFailure instanceof Error) return ctl.tokenFailure;
    if (err instanceof GraphError) return err;
    const failure = ctl.failure ?? {
      kind: 'network' as const,
      message: err instanceof Error ? err.message : String(err),
      cause: err,
    };
    const code = failure.kind === 'timeout' ? 'GRAPH.TIMEOUT' : 'GRAPH.NETWORK';
    const outcomeUnknown = !ctl.idempotent;
    return new GraphError(
      code,
      `${request}: ${failure.message} after ${ctl.attempts} attempt(s)${outcomeUnknown ? '; the action may or may not have taken effect, do not repeat it blindly' : ''}`,
      { status: 0, request, clientRequestId: ctl.clientRequestId, attempts: ctl.attempts, outcomeUnknown },
      { retryable: ctl.idempotent, cause: failure.cause },
    );
  }

  private statusError(res: Response, text: string, ctl: CallRequestOptions, request: string): GraphError {
    let graphCode: string | undefined;
    let graphMessage: string | undefined;
    let innerRequestId: string | undefined;
    try {
      const parsed = JSON.parse(text) as {
        error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> };
      };
      const e = parsed.error;
      if (typeof e?.code === 'string') graphCode = e.code;
      else if (typeof e?.code === 'number') graphCode = String(e.code);
      if (typeof e?.message === 'string') graphMessage = e.message.slice(0, 300);
      const rid = e?.innerError?.['request-id'];
      if (typeof rid === 'string') innerRequestId = rid;
    } catch {
      // not a Graph error body: keep status only
    }
    const { code, retryable } = classifyStatus(res.status);
    const outcomeUnknown = res.status === 504 && !ctl.idempotent;
    const retryAfterMs =
      ctl.retryAfterTooLongMs ?? parseRetryAfter(res.headers.get('retry-after'), Date.now());
    return new GraphError(
      code,
      `${request} failed: ${res.status}${graphCode === undefined ? '' : ` ${graphCode}`}${graphMessage === undefined ? '' : `: ${graphMessage}`}`,
      {
        status: res.status,
        graphCode,
        requestId: res.headers.get('request-id') ?? innerRequestId,
        clientRequestId: res.headers.get('client-request-id') ?? ctl.clientRequestId,
        retryAfterMs,
        request,
        attempts: ctl.attempts,
        outcomeUnknown: outcomeUnknown || undefined,
      },
      { retryable: retryable && !outcomeUnknown },
    );
  }
}
