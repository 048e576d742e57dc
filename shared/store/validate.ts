/**
 * Input checks and normalisation shared by both store adapters, so that they accept, reject and
 * store exactly the same things. Every check throws `STORE.INVALID` naming the operation (`where`)
 * and the field; messages never echo the value (it may be a caller's number).
 */
import { invalid } from './store-error.js';
import type {
  CallChanges,
  CallOutcome,
  CallQuery,
  CallRecord,
  CollectedValue,
  FlowDocument,
  IsoTime,
  NewCallRecord,
  NewTimelineEvent,
  VoicemailRef,
} from './model.js';

/** Largest serialised document we store (Cosmos DB's item limit is 2 MB; keep a margin). */
export const MAX_DOCUMENT_BYTES = 1_500_000;
/** Default page size of `calls.list`. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page size of `calls.list`; a larger `limit` is refused with STORE.INVALID. */
export const MAX_PAGE_SIZE = 200;
/** History entries kept on a flow pointer (oldest dropped first). */
export const POINTER_HISTORY_LIMIT = 500;
/** History entries kept on a number binding (oldest dropped first). */
export const BINDING_HISTORY_LIMIT = 100;

const E164 = /^\+[1-9]\d{1,14}$/;
// Cosmos DB ids may not contain '/', '\', '?', '#'; we also refuse control characters and edge spaces.
// eslint-disable-next-line no-control-regex
const BAD_ID_CHARS = /[/\\?#\u0000-\u001f\u007f]/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Checks that `value` is a usable id (1–255 chars, no `/ \ ? #`, no control chars, no edge spaces). */
export function checkId(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(where, field, 'must be a non-empty string');
  if (value.length > 255) throw invalid(where, field, 'must be at most 255 characters');
  if (BAD_ID_CHARS.test(value) || value.trim() !== value)
    throw invalid(where, field, 'must not contain / \\ ? #, control characters or leading/trailing spaces');
  return value;
}

/** Checks a non-empty string of at most `max` characters. */
export function checkText(where: string, field: string, value: unknown, max = 1000): string {
  if (typeof value !== 'string' || value.trim().length === 0)
    throw invalid(where, field, 'must be a non-empty string');
  if (value.length > max) throw invalid(where, field, `must be at most ${max} characters`);
  return value;
}

/** Checks an E.164 number (`+` then 2–15 digits, no leading 0). */
export function checkE164(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !E164.test(value))
    throw invalid(where, field, 'must be an E.164 number (+ and 2-15 digits, e.g. +14255550100)');
  return value;
}

/** Checks an ISO-8601 time with a zone and returns it normalised to UTC with milliseconds. */
export function checkTime(where: string, field: string, value: unknown): IsoTime {
  if (typeof value !== 'string' || !ISO_UTC.test(value))
    throw invalid(where, field, 'must be an ISO-8601 time with a zone, e.g. 2026-11-20T22:43:00.000Z');
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(where, field, 'is not a valid time');
  return new Date(ms).toISOString();
}

/** `at` if given (checked), else the clock's time. */
export function timeOrNow(where: string, at: unknown, now: () => Date): IsoTime {
  return at === undefined ? now().toISOString() : checkTime(where, 'at', at);
}

/** Checks a positive integer (a version number). */
export function checkPositiveInt(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalid(where, field, 'must be a positive integer');
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Checks that `value` is a plain object that survives JSON unchanged in shape, and returns a JSON copy. */
export function checkJsonObject(where: string, field: string, value: unknown): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(where, field, 'must be a plain object');
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    throw invalid(where, field, 'must be JSON-serialisable (no cycles, no BigInt)');
  }
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES)
    throw invalid(where, field, `must serialise to at most ${MAX_DOCUMENT_BYTES} bytes`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Checks a flow document: a plain JSON object whose `id` equals `flowId`. */
export function checkFlowDocument(where: string, flowId: string, value: unknown): FlowDocument {
  const doc = checkJsonObject(where, 'document', value);
  if (doc.id !== flowId) throw invalid(where, 'document.id', 'must equal flowId');
  if (doc.version !== undefined && (typeof doc.version !== 'number' || !Number.isSafeInteger(doc.version)))
    throw invalid(where, 'document.version', 'must be an integer when present');
  return doc as FlowDocument;
}

/** Checks the flow source text (YAML/JSON as written), at most 1 MB. */
export function checkSource(where: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(where, 'source', 'must be a string');
  if (Buffer.byteLength(value) > 1_000_000) throw invalid(where, 'source', 'must be at most 1 MB');
  return value;
}

function checkStringArray(where: string, field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string'))
    throw invalid(where, field, 'must be an array of strings');
  return [...(value as string[])];
}

function checkCollected(where: string, value: unknown): Record<string, CollectedValue> {
  if (!isPlainObject(value)) throw invalid(where, 'collected', 'must be an object of { value, pii }');
  const out: Record<string, CollectedValue> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!isPlainObject(entry) || typeof entry.value !== 'string' || typeof entry.pii !== 'boolean')
      throw invalid(where, `collected.${name}`, 'must be { value: string, pii: boolean }');
    out[name] = { value: entry.value, pii: entry.pii };
  }
  return out;
}

function checkOutcome(where: string, value: unknown): CallOutcome {
  const outcome = checkJsonObject(where, 'outcome', value);
  checkText(where, 'outcome.kind', outcome.kind, 100);
  return outcome as CallOutcome;
}

function checkVoicemail(where: string, value: unknown): VoicemailRef {
  const v = checkJsonObject(where, 'voicemail', value);
  checkText(where, 'voicemail.url', v.url, 2000);
  if (v.contentType !== undefined) checkText(where, 'voicemail.contentType', v.contentType, 200);
  if (v.durationMs !== undefined && (typeof v.durationMs !== 'number' || !(v.durationMs >= 0)))
    throw invalid(where, 'voicemail.durationMs', 'must be a non-negative number');
  return v as unknown as VoicemailRef;
}

function checkStatus(where: string, value: unknown): CallRecord['status'] {
  if (value !== 'active' && value !== 'ended') throw invalid(where, 'status', "must be 'active' or 'ended'");
  return value;
}

const CHANGEABLE = new Set([
  'flowId',
  'flowVersion',
  'answeredAt',
  'endedAt',
  'outcome',
  'path',
  'collected',
  'status',
  'voicemail',
]);

/** Checks `calls.update` changes: only changeable fields, each well-typed; returns a normalised copy. */
export function checkCallChanges(where: string, value: unknown): CallChanges {
  if (!isPlainObject(value)) throw invalid(where, 'changes', 'must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!CHANGEABLE.has(key)) throw invalid(where, `changes.${key}`, 'cannot be changed');
    switch (key) {
      case 'flowId':
        out[key] = checkId(where, key, v);
        break;
      case 'flowVersion':
        out[key] = checkPositiveInt(where, key, v);
        break;
      case 'answeredAt':
      case 'endedAt':
        out[key] = checkTime(where, key, v);
        break;
      case 'outcome':
        out[key] = checkOutcome(where, v);
        break;
      case 'path':
        out[key] = checkStringArray(where, key, v);
        break;
      case 'collected':
        out[key] = checkCollected(where, v);
        break;
      case 'status':
        out[key] = checkStatus(where, v);
        break;
      case 'voicemail':
        out[key] = checkVoicemail(where, v);
        break;
    }
  }
  return out;
}

/** The caller's identity may be empty (caller id withheld) but must be a string of at most 300 chars. */
function checkCaller(where: string, value: unknown): string {
  if (typeof value !== 'string')
    throw invalid(where, 'from', 'must be a string (empty when the caller id is withheld)');
  if (value.length > 300) throw invalid(where, 'from', 'must be at most 300 characters');
  return value;
}

/** Checks a new call record and returns the record to store (without `etag`), defaults applied. */
export function checkNewCall(where: string, value: unknown): Omit<CallRecord, 'etag'> {
  if (!isPlainObject(value)) throw invalid(where, 'record', 'must be an object');
  const known = new Set([...CHANGEABLE, 'callId', 'from', 'to', 'startedAt', 'etag']);
  for (const key of Object.keys(value))
    if (!known.has(key)) throw invalid(where, key, 'is not a call record field');
  const { callId, from, to, startedAt, ...rest } = value as Partial<NewCallRecord> & Record<string, unknown>;
  const changes = checkCallChanges(where, { ...rest, etag: undefined });
  return {
    callId: checkId(where, 'callId', callId),
    from: checkCaller(where, from),
    to: checkText(where, 'to', to, 300),
    startedAt: checkTime(where, 'startedAt', startedAt),
    ...changes,
    path: changes.path ?? [],
    collected: changes.collected ?? {},
    status: changes.status ?? 'active',
  };
}

/** Normalised `calls.list` filters (without paging) plus the page size. */
export interface NormalisedCallQuery {
  startedFrom?: IsoTime;
  startedBefore?: IsoTime;
  number?: string;
  flowId?: string;
  outcomeKind?: string;
  activeOnly: boolean;
  limit: number;
  continuation?: string;
}

/** Checks `calls.list` filters. */
export function checkCallQuery(where: string, value: unknown): NormalisedCallQuery {
  if (value === undefined) return { activeOnly: false, limit: DEFAULT_PAGE_SIZE };
  if (!isPlainObject(value)) throw invalid(where, 'query', 'must be an object');
  const q = value as CallQuery;
  const out: NormalisedCallQuery = { activeOnly: false, limit: DEFAULT_PAGE_SIZE };
  if (q.startedFrom !== undefined) out.startedFrom = checkTime(where, 'startedFrom', q.startedFrom);
  if (q.startedBefore !== undefined) out.startedBefore = checkTime(where, 'startedBefore', q.startedBefore);
  if (q.number !== undefined) out.number = checkText(where, 'number', q.number, 300);
  if (q.flowId !== undefined) out.flowId = checkId(where, 'flowId', q.flowId);
  if (q.outcomeKind !== undefined) out.outcomeKind = checkText(where, 'outcomeKind', q.outcomeKind, 100);
  if (q.activeOnly !== undefined) {
    if (typeof q.activeOnly !== 'boolean') throw invalid(where, 'activeOnly', 'must be a boolean');
    out.activeOnly = q.activeOnly;
  }
  if (q.limit !== undefined) {
    if (typeof q.limit !== 'number' || !Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_PAGE_SIZE)
      throw invalid(where, 'limit', `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    out.limit = q.limit;
  }
  if (q.continuation !== undefined)
    out.continuation = checkText(where, 'continuation', q.continuation, 20_000);
  return out;
}

/** A fingerprint of the filters (not the page size), bound into continuation tokens. */
export function queryFingerprint(q: NormalisedCallQuery): string {
  return JSON.stringify([q.startedFrom, q.startedBefore, q.number, q.flowId, q.outcomeKind, q.activeOnly]);
}

/** Encodes an opaque continuation token (base64url JSON) bound to the query's filters. */
export function encodeContinuation(q: NormalisedCallQuery, position: unknown): string {
  return Buffer.from(JSON.stringify({ v: 1, f: queryFingerprint(q), p: position })).toString('base64url');
}

/** Decodes a token from {@link encodeContinuation}; `STORE.INVALID` if foreign or issued for other filters. */
export function decodeContinuation(where: string, q: NormalisedCallQuery, token: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid(where, 'continuation', 'is not a token this store issued');
  }
  if (!isPlainObject(parsed) || parsed.v !== 1 || typeof parsed.f !== 'string')
    throw invalid(where, 'continuation', 'is not a token this store issued');
  if (parsed.f !== queryFingerprint(q))
    throw invalid(where, 'continuation', 'was issued for different filters');
  return parsed.p;
}

/** Checks one timeline event and returns a normalised copy. */
export function checkTimelineEvent(where: string, value: unknown): NewTimelineEvent {
  if (!isPlainObject(value)) throw invalid(where, 'event', 'must be an object');
  const e = value as Partial<NewTimelineEvent>;
  const out: NewTimelineEvent = {
    callId: checkId(where, 'callId', e.callId),
    at: checkTime(where, 'at', e.at),
    kind: checkText(where, 'kind', e.kind, 100),
    data: checkJsonObject(where, 'data', e.data),
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(out.kind)) throw invalid(where, 'kind', 'must be letters, digits, _ . -');
  if (e.seq !== undefined) {
    if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 0)
      throw invalid(where, 'seq', 'must be a non-negative integer');
    out.seq = e.seq;
  }
  if (e.durationMs !== undefined) {
    if (typeof e.durationMs !== 'number' || !Number.isFinite(e.durationMs) || e.durationMs < 0)
      throw invalid(where, 'durationMs', 'must be a non-negative number of milliseconds');
    out.durationMs = e.durationMs;
  }
  return out;
}

/** Checks the timeline TTL option (days, > 0). */
export function checkTtlDays(where: string, value: unknown): number {
  if (value === undefined) return 30;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalid(where, 'timelineTtlDays', 'must be a positive number of days');
  return value;
}

/** Sort key for timeline events: `at`, then `seq` (events without one after those with), then append order. */
export function compareTimeline(
  a: { at: string; seq?: number; ord: number },
  b: { at: string; seq?: number; ord: number },
): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  const sa = a.seq ?? Number.MAX_SAFE_INTEGER;
  const sb = b.seq ?? Number.MAX_SAFE_INTEGER;
  if (sa !== sb) return sa - sb;
  return a.ord - b.ord;
}

/** The id an event is stored under: `kind:seq` when it has a `seq` (dedupe key), else a fresh random id. */
export function timelineEventId(event: NewTimelineEvent, random: () => string): string {
  return event.seq === undefined ? `r:${random()}` : `${event.kind}:${event.seq}`;
}
