/**
 * `POST /api/calling`: the bot's Graph calling webhook (the `callbackUri` of every call). Thin
 * (../shared/STYLE.md practice 1): authenticate, parse, route, answer fast.
 *
 * - Auth: the bearer token Graph signs (shared/graph/inbound-auth). A bad token → `401` with no
 *   detail; signing keys unavailable → `503` so Graph retries. The route is `anonymous` at the
 *   Functions level because Graph cannot send a function key: the token is the authentication.
 * - Body: larger than `config.maxNotificationBytes` → `400`; not JSON or not a
 *   `commsNotifications` collection → `400` with a short reason (where, what).
 * - Routing per notification, in body order: `incomingCall` starts orchestration `call` with
 *   instance id = the Graph call id (a duplicate finds the instance there: the 409 is dropped);
 *   every other event is raised into that instance as external event `graph` (without `raw`).
 *   Tones whose `sequenceId` was already seen for the call are dropped here (a bounded in-memory
 *   LRU; the interpreter dedupes too). Events for instances that do not exist are recorded on
 *   the timeline and acknowledged, never retried forever. Durable unreachable → `503`.
 * - Every notification is appended to its call's timeline raw, with the receipt time, IN
 *   PARALLEL with the routing (hot path: keypress → next Graph request has no store round trip
 *   in series). `recordingAccessToken`s are redacted from the stored copy.
 * - Answer: `202 Accepted`, empty body.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import {
  CALL_ORCHESTRATION,
  GRAPH_EVENT,
  type CallOrchestrationInput,
} from '../orchestrations/activity-contracts.js';
import { AppError } from '../shared/errors/app-error.js';
import { InboundAuthError, type InboundTokenValidator } from '../shared/graph/inbound-auth.js';
import { parseNotificationCollection, type CallEvent } from '../shared/graph/notifications.js';
import { getServices, type Services } from '../shared/services.js';
import type { NewTimelineEvent, Store } from '../shared/store/index.js';

/** The Durable client operations the webhook uses (df.getClient's DurableClient satisfies it). */
export interface CallingDurableClient {
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
}

/** A bounded set of recently seen keys (an insertion-ordered Map used as an LRU). */
export class RecentKeys {
  readonly #keys = new Map<string, true>();
  constructor(private readonly max = 10_000) {}
  /** True if `key` is remembered (and refreshes it). */
  has(key: string): boolean {
    if (!this.#keys.has(key)) return false;
    this.#keys.delete(key);
    this.#keys.set(key, true);
    return true;
  }
  /** Remembers `key`, forgetting the least recently seen key beyond `max`. */
  add(key: string): void {
    this.#keys.delete(key);
    this.#keys.set(key, true);
    if (this.#keys.size > this.max) {
      const oldest = this.#keys.keys().next();
      if (oldest.done !== true) this.#keys.delete(oldest.value);
    }
  }
}

/** Dependencies of {@link handleCalling}. */
export interface CallingDeps {
  services: Pick<Services, 'config' | 'store' | 'inboundAuth'>;
  client: CallingDurableClient;
  /** Tone sequence ids seen (shared across requests of this process). */
  tones: RecentKeys;
  log?: (message: string) => void;
}

const ACCEPTED: HttpResponseInit = { status: 202 };
const badRequest = (reason: string): HttpResponseInit => ({
  status: 400,
  jsonBody: { error: { code: 'CALLING.BAD_REQUEST', message: reason } },
});

/** The stored copy of a notification: raw, minus secrets. */
function redactRaw(raw: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(raw, (k, v: unknown) => (k === 'recordingAccessToken' ? '[redacted]' : v)),
  ) as Record<string, unknown>;
}

function payloadOf(e: CallEvent): Record<string, unknown> {
  const { raw: _raw, ...rest } = e;
  return rest;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function authenticate(
  auth: InboundTokenValidator,
  header: string | null,
): Promise<HttpResponseInit | undefined> {
  try {
    await auth.validate(header);
    return undefined;
  } catch (err) {
    if (err instanceof InboundAuthError && err.retryable)
      return { status: 503, headers: { 'retry-after': '5' } };
    return { status: 401 };
  }
}

async function readBody(request: HttpRequest, max: number): Promise<string | HttpResponseInit> {
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  if (Number.isFinite(declared) && declared > max) return badRequest(`body larger than ${max} bytes`);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.byteLength > max) return badRequest(`body larger than ${max} bytes`);
  return bytes.toString('utf8');
}

/** Routes one event; resolves to a timeline note when the event could not be delivered. */
async function route(
  e: CallEvent,
  receivedAt: string,
  deps: CallingDeps,
): Promise<NewTimelineEvent | undefined> {
  if (e.kind === 'unknown' || e.callId === null) return undefined;
  const callId = e.callId;
  if (e.kind === 'incomingCall') {
    const input: CallOrchestrationInput = {
      callId,
      from: e.source?.id ?? '',
      to: e.dialled?.id ?? '',
      receivedAt,
      ...(e.tenantId === undefined ? {} : { tenantId: e.tenantId }),
    };
    try {
      await deps.client.startNew(CALL_ORCHESTRATION, { instanceId: callId, input });
    } catch (err) {
      if (/\b409\b|already exists/i.test(errText(err))) {
        deps.log?.(`duplicate incoming call notification for ${callId} dropped`);
        return undefined;
      }
      throw err;
    }
    return undefined;
  }
  // A tone is remembered only once it was delivered: a retry after a failed raise must go through.
  const toneKey = e.kind === 'tone' && e.sequenceId !== undefined ? `${callId}|${e.sequenceId}` : undefined;
  if (toneKey !== undefined && deps.tones.has(toneKey)) return undefined;
  try {
    await deps.client.raiseEvent(callId, GRAPH_EVENT, payloadOf(e));
    if (toneKey !== undefined) deps.tones.add(toneKey);
  } catch (err) {
    if (!/No instance with ID/i.test(errText(err))) throw err;
    return {
      callId,
      at: receivedAt,
      kind: 'unroutedNotification',
      data: { eventKind: e.kind, reason: 'no orchestration instance for this call' },
    };
  }
  return undefined;
}

async function appendTimeline(
  store: Store,
  events: NewTimelineEvent[],
  log: CallingDeps['log'],
): Promise<void> {
  if (events.length === 0) return;
  try {
    await store.timelines.appendMany(events);
  } catch (err) {
    log?.(`timeline write failed: ${errText(err)}`);
  }
}

/**
 * Handles one webhook request (see the module doc). Never throws: every failure is an HTTP
 * answer without internals.
 */
export async function handleCalling(request: HttpRequest, deps: CallingDeps): Promise<HttpResponseInit> {
  const { services } = deps;
  // Receipt time: taken before the token check so the timeline shows when Graph's request arrived.
  const receivedAt = new Date().toISOString();
  const denied = await authenticate(services.inboundAuth, request.headers.get('authorization'));
  if (denied !== undefined) return denied;
  const text = await readBody(request, services.config.maxNotificationBytes);
  if (typeof text !== 'string') return text;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return badRequest('body is not JSON');
  }
  let events: CallEvent[];
  try {
    events = parseNotificationCollection(body);
  } catch (err) {
    return badRequest(err instanceof AppError ? err.message : 'not a notification collection');
  }
  const raw: NewTimelineEvent[] = events.flatMap((e) =>
    e.callId === null
      ? []
      : [
          {
            callId: e.callId,
            at: receivedAt,
            kind: 'notification',
            data: { eventKind: e.kind, receivedAt, raw: redactRaw(e.raw) },
          },
        ],
  );
  const routing = (async (): Promise<NewTimelineEvent[]> => {
    const notes: NewTimelineEvent[] = [];
    for (const e of events) {
      const note = await route(e, receivedAt, deps);
      if (note !== undefined) notes.push(note);
    }
    return notes;
  })();
  const [routed] = await Promise.allSettled([routing, appendTimeline(services.store, raw, deps.log)]);
  if (routed.status === 'rejected') {
    deps.log?.(`routing notifications failed: ${errText(routed.reason)}`);
    return { status: 503, headers: { 'retry-after': '1' } };
  }
  await appendTimeline(services.store, routed.value, deps.log);
  return ACCEPTED;
}

const tones = new RecentKeys();

app.http('calling', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'calling',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let services: Services;
    try {
      services = await getServices();
    } catch (err) {
      context.error(`services unavailable: ${errText(err)}`);
      return { status: 503, headers: { 'retry-after': '5' } };
    }
    return handleCalling(request, {
      services,
      client: df.getClient(context),
      tones,
      log: (m) => context.warn(m),
    });
  },
});
