/**
 * Graph call notifications: the `commsNotifications` body Graph POSTs to the bot's callback URI,
 * parsed into typed {@link CallEvent}s.
 *
 * Source: Graph v1.0 reference, `commsNotifications` / `commsNotification` resources and the
 * "Notification" examples of call-answer, call-playprompt, call-record, call-subscribetotone,
 * call-transfer, call-redirect, call-delete, participant-invite (bodies kept verbatim in
 * ../shared/fixtures/graph/, whose README lists the quirks normalised here):
 * - `resourceData` is an object (call, operation), an array (participants, content sharing) or absent;
 * - `resultInfo.code`/`subcode` arrive as numbers or numeric strings, and `subcode` also as `subCode`;
 * - operation `status` casing varies (`Running`);
 * - the resource path is in `resourceUrl` (`/communications/calls/…`), in the legacy `resource`
 *   (`/app/calls/…`), with or without the leading `/`;
 * - ids appear as dashed lower-case GUIDs and as 32-digit upper-case hex: {@link normalizeGraphId}
 *   gives one canonical form. Correlate operations by `clientContext`, never by string-equal ids.
 *
 * The parser is total: any JSON value either yields events or a {@link NotificationParseError}
 * (code `GRAPH.BAD_NOTIFICATION`) naming the offending path, e.g.
 * `value[2].resourceData.state: expected a string`. Unknown fields are kept: every event carries
 * the notification it came from, verbatim, in `raw`; unknown resources become `kind: 'unknown'`.
 */
import { AppError } from '../errors/app-error.js';
import type { OpenString, ResultInfo } from './types.js';

/** A malformed notification body. `metadata.path` is where (`value[0].resourceData.toneInfo`). */
export class NotificationParseError extends AppError {
  /** The JSON path of the offending value, e.g. `value[2].resourceData.state`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super('GRAPH.BAD_NOTIFICATION', `${path}: ${problem}`, { metadata: { path } });
    this.path = path;
  }
}

/** One `commsNotification` item as Graph posts it (unknown fields kept). */
export interface CommsNotification {
  '@odata.type'?: string;
  changeType: OpenString<'created' | 'updated' | 'deleted'>;
  resourceUrl?: string;
  /** Legacy path form (`/app/calls/{id}/…`), sent by some tenants next to `resourceUrl`. */
  resource?: string;
  resourceData?: unknown;
  callbackUri?: string;
  [key: string]: unknown;
}

/** A DTMF key as the caller pressed it. */
export type DtmfKey =
  '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** One party of a call, reduced from an `identitySet` to the identity that names it. */
export interface PartySummary {
  /** Which identity of the set: `phone`, `applicationInstance`, `application`, `user`, `guest`, `encrypted`… */
  kind: string;
  /** The identity's id: an E.164 number for `phone`, an Entra object id otherwise; null when Graph sent none. */
  id: string | null;
  displayName?: string;
  tenantId?: string;
}

/** A participant from a roster notification. */
export interface ParticipantSummary {
  id: string | null;
  identity?: PartySummary;
  isMuted?: boolean;
  isInLobby?: boolean;
  /** `mediaType` of each stream (`audio`, `video`, `vbss`). */
  mediaTypes: string[];
}

/** Operation kinds, named after the action that started them (`recordOperation` → `recordResponse`). */
export type OperationType =
  | 'playPrompt'
  | 'recordResponse'
  | 'subscribeToTone'
  | 'cancelMediaProcessing'
  | 'sendDtmfTones'
  | 'inviteParticipants'
  | 'muteParticipant'
  | 'unmuteParticipant'
  | 'updateRecordingStatus'
  | 'startHoldMusic'
  | 'stopHoldMusic'
  | 'unknown';

/** Fields every event has. */
export interface CallEventBase {
  /** The Graph call id in canonical form ({@link normalizeGraphId}). */
  callId: string;
  /** The call id exactly as it appeared in the resource path. */
  rawCallId: string;
  changeType: string;
  /** The resource path, normalised to `/communications/calls/…`. */
  resourceUrl: string;
  /** Index of the notification in `value[]`. */
  index: number;
  /** Where Graph posts this call's notifications: the call's `callbackUri`, else the notification-level one. */
  callbackUri?: string;
  /** The notification item, verbatim (all unknown fields kept). */
  raw: CommsNotification;
}

/** `state: incoming`: a caller is ringing the bot. Answer, reject or redirect it before the ringing timeout. */
export interface IncomingCallEvent extends CallEventBase {
  kind: 'incomingCall';
  direction?: string;
  tenantId?: string;
  /** The caller (a `phone` for PSTN callers, a `user` for Teams callers). */
  source?: PartySummary;
  targets: PartySummary[];
  /** What was dialled: the target's `phone`, else its `applicationInstance` (resource account), `application` or `user`. */
  dialled?: PartySummary;
  /** Media the caller offers (`audio`, `video`…). */
  requestedModalities: string[];
  myParticipantId?: string;
}

/** `state: establishing`. */
export interface CallEstablishingEvent extends CallEventBase {
  kind: 'callEstablishing';
}

/** `state: established` (no tone, no failure). `audioActive` from `mediaState.audio` when sent. */
export interface CallEstablishedEvent extends CallEventBase {
  kind: 'callEstablished';
  audioActive?: boolean;
}

/** `state: terminating`. */
export interface CallTerminatingEvent extends CallEventBase {
  kind: 'callTerminating';
  resultInfo?: ResultInfo;
}

/** `state: terminated`, or a `deleted` call with no state (after reject). The call is over. */
export interface CallTerminatedEvent extends CallEventBase {
  kind: 'callTerminated';
  resultInfo?: ResultInfo;
}

/** A DTMF key press: a call `updated` with `toneInfo` (not an operation). */
export interface ToneEvent extends CallEventBase {
  kind: 'tone';
  /** Graph's `toneInfo.tone` (`tone1`, `star`, `pound`, `a`, `flash`…). */
  tone: string;
  /** The key, or null for `flash` and values unknown to us. */
  key: DtmfKey | null;
  /** Increases per key press of the call; use it to drop duplicates and reorder. */
  sequenceId?: number;
}

/** `state: transferAccepted`: the transfer target accepted; media may go inactive. */
export interface TransferAcceptedEvent extends CallEventBase {
  kind: 'transferAccepted';
}

/** `state: transferring`. */
export interface TransferringEvent extends CallEventBase {
  kind: 'transferring';
}

/** `state: terminated` with subcode 7015 (GracefulTransferCompleted): the transfer succeeded and this is also the call's end for the bot (no separate `callTerminated`). */
export interface TransferCompletedEvent extends CallEventBase {
  kind: 'transferCompleted';
  resultInfo: ResultInfo;
}

/** `state: established` with a failing `resultInfo` (code >= 400): the transfer failed and the caller is still with the bot. */
export interface TransferFailedEvent extends CallEventBase {
  kind: 'transferFailed';
  resultInfo: ResultInfo;
  /** Consultative transfers only. */
  replacesContext?: string;
}

/** Any other call update (hold, redirecting, media state…): see `raw`. */
export interface CallUpdatedEvent extends CallEventBase {
  kind: 'callUpdated';
  state?: string;
  resultInfo?: ResultInfo;
}

/** A roster notification on `/participants`. */
export interface ParticipantsUpdatedEvent extends CallEventBase {
  kind: 'participantsUpdated';
  participants: ParticipantSummary[];
}

/** A `commsOperation` notification (`/operations/{id}`). */
export interface OperationEvent extends CallEventBase {
  /** `operationCompleted` for status completed, `operationFailed` for failed, `operationUpdated` otherwise. */
  kind: 'operationCompleted' | 'operationFailed' | 'operationUpdated';
  operationType: OperationType;
  /** The operation id in canonical form (path id, else `resourceData.id`); do not correlate on it. */
  operationId?: string;
  /** The `@odata.type` Graph sent, e.g. `#microsoft.graph.playPromptOperation`. */
  odataType?: string;
  /** Lower-cased first letter (`Running` → `running`). */
  status?: string;
  /** The value given when the operation was started: the correlation key. */
  clientContext?: string;
  resultInfo?: ResultInfo;
  completionReason?: string;
  /**
   * True only when status is completed, `resultInfo.code` (if any) is below 400 and
   * `completionReason` (if any) is not a cancellation or failure: `completed` alone does not mean
   * success.
   */
  succeeded: boolean;
  /** recordResponse only: where the recording is, and the bearer token to fetch it with. */
  recordingLocation?: string;
  recordingAccessToken?: string;
}

/** A notification Switchboard does not interpret (content sharing, other resources). Never an error. */
export interface UnknownEvent extends Omit<CallEventBase, 'callId' | 'rawCallId'> {
  kind: 'unknown';
  callId: string | null;
  rawCallId: string | null;
  /** Why it is not interpreted, e.g. `resource contentsharingsessions`. */
  reason: string;
}

/** Everything Switchboard derives from Graph call notifications, discriminated on `kind`. */
export type CallEvent =
  | IncomingCallEvent
  | CallEstablishingEvent
  | CallEstablishedEvent
  | CallTerminatingEvent
  | CallTerminatedEvent
  | ToneEvent
  | TransferAcceptedEvent
  | TransferringEvent
  | TransferCompletedEvent
  | TransferFailedEvent
  | CallUpdatedEvent
  | ParticipantsUpdatedEvent
  | OperationEvent
  | UnknownEvent;

const DASHLESS_GUID = /^[0-9a-f]{32}$/i;
const DASHED_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Canonical form of a Graph id: GUIDs (dashed, or 32 hex digits as in some examples) become
 * dashed lower case; other ids are returned unchanged.
 * `57DAB8B1894C409AB240BD8BEAE78896` → `57dab8b1-894c-409a-b240-bd8beae78896`.
 */
export function normalizeGraphId(id: string): string {
  if (DASHED_GUID.test(id)) return id.toLowerCase();
  if (DASHLESS_GUID.test(id)) {
    const h = id.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return id;
}

/** True when two Graph ids name the same thing (compares {@link normalizeGraphId} forms). */
export function sameGraphId(a: string, b: string): boolean {
  return normalizeGraphId(a) === normalizeGraphId(b);
}

const TONE_KEYS: Readonly<Record<string, DtmfKey>> = {
  tone0: '0',
  tone1: '1',
  tone2: '2',
  tone3: '3',
  tone4: '4',
  tone5: '5',
  tone6: '6',
  tone7: '7',
  tone8: '8',
  tone9: '9',
  star: '*',
  pound: '#',
  a: 'A',
  b: 'B',
  c: 'C',
  d: 'D',
};

/** Maps Graph's `toneInfo.tone` to the key pressed (`tone5` → `5`, `pound` → `#`); null for `flash`/unknown. */
export function toneToKey(tone: string): DtmfKey | null {
  return Object.hasOwn(TONE_KEYS, tone) ? (TONE_KEYS[tone] ?? null) : null;
}

const OPERATION_TYPES: Readonly<Record<string, OperationType>> = {
  playpromptoperation: 'playPrompt',
  recordoperation: 'recordResponse',
  recordresponseoperation: 'recordResponse',
  subscribetotoneoperation: 'subscribeToTone',
  cancelmediaprocessingoperation: 'cancelMediaProcessing',
  senddtmftonesoperation: 'sendDtmfTones',
  inviteparticipantsoperation: 'inviteParticipants',
  muteparticipantoperation: 'muteParticipant',
  unmuteparticipantoperation: 'unmuteParticipant',
  updaterecordingstatusoperation: 'updateRecordingStatus',
  startholdmusicoperation: 'startHoldMusic',
  stopholdmusicoperation: 'stopHoldMusic',
};

/** completionReason values that mean the operation did not do its job. */
const UNSUCCESSFUL_COMPLETION = new Set([
  'mediaoperationcanceled',
  'operationcanceled',
  'playpromptfailed',
  'playbeepfailed',
  'mediareceivetimeout',
  'unspecifiederror',
]);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Reads an optional string (null/absent → undefined); anything else is an error at `path.key`. */
function optString(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new NotificationParseError(`${path}.${key}`, `expected a string, got ${describe(v)}`);
  return v;
}

function optBoolean(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw new NotificationParseError(`${path}.${key}`, `expected a boolean, got ${describe(v)}`);
  return v;
}

function optObject(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new NotificationParseError(`${path}.${key}`, `expected an object, got ${describe(v)}`);
  return v;
}

function optArray(o: Obj, key: string, path: string): unknown[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v))
    throw new NotificationParseError(`${path}.${key}`, `expected an array, got ${describe(v)}`);
  return v as unknown[];
}

/** A number, or a string of decimal digits (Graph sends both for codes). */
function optInteger(o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())) return Number(v.trim());
  throw new NotificationParseError(`${path}.${key}`, `expected a number, got ${describe(v)}`);
}

/** `resultInfo` with numeric `code`/`subcode`; accepts `subCode` and numeric strings. */
function readResultInfo(o: Obj, path: string): ResultInfo | undefined {
  const ri = optObject(o, 'resultInfo', path);
  if (ri === undefined) return undefined;
  const p = `${path}.resultInfo`;
  const code = optInteger(ri, 'code', p);
  if (code === undefined) throw new NotificationParseError(`${p}.code`, 'expected a number, got nothing');
  const subcode = optInteger(ri, 'subcode', p) ?? optInteger(ri, 'subCode', p);
  const message = optString(ri, 'message', p);
  const out: ResultInfo = { code };
  if (subcode !== undefined) out.subcode = subcode;
  if (message !== undefined) out.message = message;
  return out;
}

const IDENTITY_ORDER = [
  'phone',
  'applicationInstance',
  'application',
  'user',
  'guest',
  'encrypted',
  'device',
];

/** Reduces an `identitySet` to its naming identity (see {@link PartySummary}). */
function summariseIdentitySet(
  set: Obj,
  path: string,
  order: readonly string[] = IDENTITY_ORDER,
): PartySummary | undefined {
  const keys = [...order, ...Object.keys(set).filter((k) => !k.startsWith('@') && !order.includes(k))];
  for (const kind of keys) {
    const ident = optObject(set, kind, path);
    if (ident === undefined) continue;
    const p = `${path}.${kind}`;
    const summary: PartySummary = { kind, id: optString(ident, 'id', p) ?? null };
    const displayName = optString(ident, 'displayName', p);
    const tenantId = optString(ident, 'tenantId', p);
    if (displayName !== undefined) summary.displayName = displayName;
    if (tenantId !== undefined) summary.tenantId = tenantId;
    return summary;
  }
  return undefined;
}

/** `participantInfo`/`invitationParticipantInfo` → its identity summary. */
function summariseParticipantInfo(info: Obj, path: string): PartySummary | undefined {
  const identity = optObject(info, 'identity', path);
  return identity === undefined ? undefined : summariseIdentitySet(identity, `${path}.identity`);
}

interface ResourcePath {
  /** Normalised `/communications/calls/…` form. */
  url: string;
  rawCallId: string | null;
  /** Segments after the call id (`['operations', '0FE0…']`, `['participants']`). */
  rest: string[];
}

const CALL_PREFIXES = ['communications/calls/', 'app/calls/'];

function parseResourcePath(path: string): ResourcePath {
  const trimmed = path.trim().replace(/^\/+/, '');
  const lower = trimmed.toLowerCase();
  const prefix = CALL_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix === undefined) return { url: `/${trimmed}`, rawCallId: null, rest: [] };
  const afterPrefix = trimmed.slice(prefix.length).split(/[?#]/)[0] ?? '';
  const [callId, ...rest] = afterPrefix.split('/');
  if (callId === undefined || callId === '') return { url: `/${trimmed}`, rawCallId: null, rest: [] };
  return {
    url: ['/communications/calls', callId, ...rest].join('/'),
    rawCallId: callId,
    rest: rest.filter((s) => s !== ''),
  };
}

/**
 * Parses a `commsNotifications` body (already JSON-decoded) into events, in `value[]` order; one
 * notification yields one event. Throws {@link NotificationParseError} (code
 * `GRAPH.BAD_NOTIFICATION`) for anything that is not a notification collection, saying where.
 */
export function parseNotificationCollection(body: unknown): CallEvent[] {
  if (!isObj(body)) throw new NotificationParseError('body', `expected a JSON object, got ${describe(body)}`);
  const value = body.value;
  if (!Array.isArray(value))
    throw new NotificationParseError('value', `expected an array, got ${describe(value)}`);
  return value.map((item, index) => parseNotification(item, index));
}

/** Parses one `commsNotification` (`value[index]`); see {@link parseNotificationCollection}. */
export function parseNotification(item: unknown, index: number): CallEvent {
  const path = `value[${index}]`;
  if (!isObj(item)) throw new NotificationParseError(path, `expected an object, got ${describe(item)}`);
  const changeType = optString(item, 'changeType', path);
  if (changeType === undefined)
    throw new NotificationParseError(`${path}.changeType`, 'expected a string, got nothing');
  const resourceUrl = optString(item, 'resourceUrl', path);
  const legacy = optString(item, 'resource', path);
  const notificationCallback = optString(item, 'callbackUri', path);
  const rdRaw = item.resourceData;
  const rdPath = `${path}.resourceData`;
  if (rdRaw !== undefined && rdRaw !== null && typeof rdRaw !== 'object') {
    throw new NotificationParseError(rdPath, `expected an object or an array, got ${describe(rdRaw)}`);
  }
  const rdObj = isObj(rdRaw) ? rdRaw : undefined;
  const rdArr = Array.isArray(rdRaw) ? (rdRaw as unknown[]) : undefined;
  const odataId = rdObj === undefined ? undefined : optString(rdObj, '@odata.id', rdPath);
  const where = resourceUrl ?? legacy ?? odataId;
  if (where === undefined)
    throw new NotificationParseError(`${path}.resourceUrl`, 'expected a string, got nothing');
  const res = parseResourcePath(where);
  const raw = item as CommsNotification;

  if (res.rawCallId === null) {
    return {
      kind: 'unknown',
      callId: null,
      rawCallId: null,
      changeType,
      resourceUrl: res.url,
      index,
      raw,
      reason: 'not a call resource',
    };
  }
  const base: CallEventBase = {
    callId: normalizeGraphId(res.rawCallId),
    rawCallId: res.rawCallId,
    changeType,
    resourceUrl: res.url,
    index,
    raw,
  };
  if (notificationCallback !== undefined) base.callbackUri = notificationCallback;
  const sub = res.rest[0]?.toLowerCase();
  const odataType = rdObj === undefined ? undefined : optString(rdObj, '@odata.type', rdPath);

  if (
    sub === 'operations' ||
    (sub === undefined && odataType !== undefined && /operation$/i.test(odataType))
  ) {
    if (rdObj === undefined && rdArr !== undefined) {
      throw new NotificationParseError(rdPath, 'expected an object for an operation, got an array');
    }
    return operationEvent(base, rdObj ?? {}, rdPath, res.rest[1], odataType);
  }
  if (sub === 'participants') {
    const items = rdArr ?? (rdObj === undefined ? [] : [rdObj]);
    const participants = items.map((p, i) =>
      participantSummary(p, rdArr === undefined ? rdPath : `${rdPath}[${i}]`),
    );
    return { ...base, kind: 'participantsUpdated', participants };
  }
  if (sub !== undefined) {
    return { ...base, kind: 'unknown', reason: `resource ${sub}` };
  }
  if (rdArr !== undefined) {
    if (rdArr.length !== 1 || !isObj(rdArr[0])) {
      throw new NotificationParseError(rdPath, 'expected one call object');
    }
  }
  const call = rdObj ?? (rdArr?.[0] as Obj | undefined);
  const callPath = rdObj === undefined && rdArr !== undefined ? `${rdPath}[0]` : rdPath;
  return callEvent(base, call, callPath);
}

function callEvent(base: CallEventBase, call: Obj | undefined, path: string): CallEvent {
  if (call === undefined) {
    return base.changeType === 'deleted'
      ? { ...base, kind: 'callTerminated' }
      : { ...base, kind: 'callUpdated' };
  }
  const state = optString(call, 'state', path);
  const resultInfo = readResultInfo(call, path);
  const callbackUri = optString(call, 'callbackUri', path);
  if (callbackUri !== undefined) base = { ...base, callbackUri };
  const toneInfo = optObject(call, 'toneInfo', path);
  if (toneInfo !== undefined) {
    const tp = `${path}.toneInfo`;
    const tone = optString(toneInfo, 'tone', tp);
    if (tone === undefined) throw new NotificationParseError(`${tp}.tone`, 'expected a string, got nothing');
    const sequenceId = optInteger(toneInfo, 'sequenceId', tp);
    const ev: ToneEvent = { ...base, kind: 'tone', tone, key: toneToKey(tone) };
    if (sequenceId !== undefined) ev.sequenceId = sequenceId;
    return ev;
  }
  const withResult = <T extends object>(ev: T): T & { resultInfo?: ResultInfo } =>
    resultInfo === undefined ? ev : { ...ev, resultInfo };

  switch (state) {
    case 'incoming':
      return incomingCallEvent(base, call, path);
    case 'establishing':
      return { ...base, kind: 'callEstablishing' };
    case 'established': {
      if (resultInfo !== undefined && resultInfo.code >= 400) {
        const replacesContext = optString(call, 'replacesContext', path);
        const ev: TransferFailedEvent = { ...base, kind: 'transferFailed', resultInfo };
        if (replacesContext !== undefined) ev.replacesContext = replacesContext;
        return ev;
      }
      const mediaState = optObject(call, 'mediaState', path);
      const audio =
        mediaState === undefined ? undefined : optString(mediaState, 'audio', `${path}.mediaState`);
      const ev: CallEstablishedEvent = { ...base, kind: 'callEstablished' };
      if (audio !== undefined) ev.audioActive = audio === 'active';
      return ev;
    }
    case 'transferAccepted':
      return { ...base, kind: 'transferAccepted' };
    case 'transferring':
      return { ...base, kind: 'transferring' };
    case 'terminating':
      return withResult({ ...base, kind: 'callTerminating' as const });
    case 'terminated':
      if (resultInfo?.subcode === 7015) return { ...base, kind: 'transferCompleted', resultInfo };
      return withResult({ ...base, kind: 'callTerminated' as const });
    case undefined:
      if (base.changeType === 'deleted') return withResult({ ...base, kind: 'callTerminated' as const });
      return withResult({ ...base, kind: 'callUpdated' as const });
    default:
      return withResult({ ...base, kind: 'callUpdated' as const, state });
  }
}

function incomingCallEvent(base: CallEventBase, call: Obj, path: string): IncomingCallEvent {
  const ev: IncomingCallEvent = { ...base, kind: 'incomingCall', targets: [], requestedModalities: [] };
  const direction = optString(call, 'direction', path);
  if (direction !== undefined) ev.direction = direction;
  const sourceInfo = optObject(call, 'source', path);
  if (sourceInfo !== undefined) {
    const source = summariseParticipantInfo(sourceInfo, `${path}.source`);
    if (source !== undefined) ev.source = source;
  }
  const targets = optArray(call, 'targets', path) ?? [];
  targets.forEach((t, i) => {
    const tp = `${path}.targets[${i}]`;
    if (!isObj(t)) throw new NotificationParseError(tp, `expected an object, got ${describe(t)}`);
    const s = summariseParticipantInfo(t, tp);
    if (s !== undefined) ev.targets.push(s);
  });
  const firstTarget = targets[0];
  if (isObj(firstTarget)) {
    const identity = optObject(firstTarget, 'identity', `${path}.targets[0]`);
    const dialled =
      identity === undefined ? undefined : summariseIdentitySet(identity, `${path}.targets[0].identity`);
    if (dialled !== undefined) ev.dialled = dialled;
  }
  const tenantId = optString(call, 'tenantId', path) ?? ev.dialled?.tenantId;
  if (tenantId !== undefined) ev.tenantId = tenantId;
  const modalities = optArray(call, 'requestedModalities', path) ?? [];
  modalities.forEach((m, i) => {
    if (typeof m !== 'string')
      throw new NotificationParseError(
        `${path}.requestedModalities[${i}]`,
        `expected a string, got ${describe(m)}`,
      );
    ev.requestedModalities.push(m);
  });
  const myParticipantId = optString(call, 'myParticipantId', path);
  if (myParticipantId !== undefined) ev.myParticipantId = myParticipantId;
  return ev;
}

function participantSummary(p: unknown, path: string): ParticipantSummary {
  if (!isObj(p)) throw new NotificationParseError(path, `expected an object, got ${describe(p)}`);
  const out: ParticipantSummary = { id: optString(p, 'id', path) ?? null, mediaTypes: [] };
  const info = optObject(p, 'info', path);
  const identity = info === undefined ? undefined : summariseParticipantInfo(info, `${path}.info`);
  if (identity !== undefined) out.identity = identity;
  const isMuted = optBoolean(p, 'isMuted', path);
  if (isMuted !== undefined) out.isMuted = isMuted;
  const isInLobby = optBoolean(p, 'isInLobby', path);
  if (isInLobby !== undefined) out.isInLobby = isInLobby;
  (optArray(p, 'mediaStreams', path) ?? []).forEach((s, i) => {
    const sp = `${path}.mediaStreams[${i}]`;
    if (!isObj(s)) throw new NotificationParseError(sp, `expected an object, got ${describe(s)}`);
    const mediaType = optString(s, 'mediaType', sp);
    if (mediaType !== undefined) out.mediaTypes.push(mediaType);
  });
  return out;
}

function operationEvent(
  base: CallEventBase,
  op: Obj,
  path: string,
  pathOperationId: string | undefined,
  odataType: string | undefined,
): OperationEvent {
  const typeName = odataType?.replace(/^#?microsoft\.graph\./i, '').toLowerCase();
  const operationType: OperationType =
    (typeName !== undefined && Object.hasOwn(OPERATION_TYPES, typeName)
      ? OPERATION_TYPES[typeName]
      : undefined) ?? 'unknown';
  const rawStatus = optString(op, 'status', path);
  const status = rawStatus === undefined ? undefined : rawStatus.charAt(0).toLowerCase() + rawStatus.slice(1);
  const resultInfo = readResultInfo(op, path);
  const completionReason = optString(op, 'completionReason', path);
  const clientContext = optString(op, 'clientContext', path);
  const idInBody = optString(op, 'id', path);
  const operationId = pathOperationId ?? idInBody;
  const kind =
    status === 'completed'
      ? 'operationCompleted'
      : status === 'failed'
        ? 'operationFailed'
        : 'operationUpdated';
  const succeeded =
    status === 'completed' &&
    (resultInfo === undefined || resultInfo.code < 400) &&
    (completionReason === undefined || !UNSUCCESSFUL_COMPLETION.has(completionReason.toLowerCase()));
  const ev: OperationEvent = { ...base, kind, operationType, succeeded };
  if (operationId !== undefined) ev.operationId = normalizeGraphId(operationId);
  if (odataType !== undefined) ev.odataType = odataType;
  if (status !== undefined) ev.status = status;
  if (clientContext !== undefined) ev.clientContext = clientContext;
  if (resultInfo !== undefined) ev.resultInfo = resultInfo;
  if (completionReason !== undefined) ev.completionReason = completionReason;
  const recordingLocation = optString(op, 'recordingLocation', path);
  if (recordingLocation !== undefined) ev.recordingLocation = recordingLocation;
  const recordingAccessToken = optString(op, 'recordingAccessToken', path);
  if (recordingAccessToken !== undefined) ev.recordingAccessToken = recordingAccessToken;
  return ev;
}

/** The event without `raw` (for logs and the CLI). Keep caller data out of logs: see AppError. */
export function withoutRaw(event: CallEvent): Omit<CallEvent, 'raw'> {
  const { raw: _raw, ...rest } = event;
  return rest;
}
