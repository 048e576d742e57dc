/**
 * Domain types of Switchboard's store: flows (drafts, immutable published versions, the published
 * pointer), number bindings, call records and call timelines. Both adapters (Cosmos DB in
 * `shared/store/cosmos/`, the embedded SQLite store in `local/store/`) return exactly these shapes.
 *
 * Conventions:
 * - Every time is an ISO-8601 UTC string with milliseconds (`2026-11-20T22:43:00.000Z`).
 * - `etag` is opaque: pass it back unchanged to update with optimistic concurrency.
 * - `by` names who made a change (a user principal name, `system`, `cli`): never a caller's number.
 */

/** ISO-8601 UTC timestamp, e.g. `2026-11-20T22:43:00.000Z`. */
export type IsoTime = string;

/**
 * The parsed flow definition. Owned by `shared/flow/`; the store only relies on `id` (the flow id)
 * and stamps `version` (the published version number) on published copies.
 */
export interface FlowDocument {
  id: string;
  version?: number;
  [key: string]: unknown;
}

/** A flow's one mutable draft, saved with optimistic concurrency. */
export interface FlowDraft {
  flowId: string;
  /** The flow file as the analyst wrote it (YAML or JSON text). */
  source: string;
  /** The parsed document. */
  document: FlowDocument;
  createdBy: string;
  createdAt: IsoTime;
  updatedBy: string;
  updatedAt: IsoTime;
  etag: string;
}

/** One published, immutable version of a flow. Versions are numbered 1, 2, 3… per flow. */
export interface FlowVersion {
  flowId: string;
  version: number;
  source: string;
  /** The parsed document with `version` set to this version's number. */
  document: FlowDocument;
  publishedBy: string;
  publishedAt: IsoTime;
}

/** One move of the published pointer: a publish (to the new version) or a rollback (to an earlier one). */
export interface PointerChange {
  kind: 'publish' | 'rollback';
  /** The live version before the move; null for the first publish. */
  fromVersion: number | null;
  toVersion: number;
  by: string;
  at: IsoTime;
  /** Free text the operator gave (rollback reason, change ticket). */
  reason?: string;
}

/** Which version of a flow is live, and how it got there. */
export interface FlowPointer {
  flowId: string;
  /** The version new calls pin. */
  liveVersion: number;
  /** The highest version ever published (the next publish creates `latestVersion + 1`). */
  latestVersion: number;
  updatedBy: string;
  updatedAt: IsoTime;
  /** The most recent moves, oldest first (the last 500 are kept). */
  history: PointerChange[];
  etag: string;
}

/** A line of the flow list. */
export interface FlowSummary {
  flowId: string;
  /** Absent when the flow has a draft but was never published. */
  liveVersion?: number;
  latestVersion?: number;
  hasDraft: boolean;
}

/** One bind/unbind of a number. */
export interface BindingChange {
  kind: 'bind' | 'unbind';
  flowId: string;
  by: string;
  at: IsoTime;
}

/** A dialled number (E.164, e.g. `+14255550100`) bound to a flow id; calls pin the flow's live version at start. */
export interface NumberBinding {
  number: string;
  flowId: string;
  boundBy: string;
  boundAt: IsoTime;
  /** The most recent bind/unbind changes of this number, oldest first (the last 100 are kept). */
  history: BindingChange[];
  etag: string;
}

/** `active` from call start until the call ended (terminated, rejected, failed). */
export type CallStatus = 'active' | 'ended';

/** A value the flow collected from the caller; `pii: true` marks personal data (mask it in UIs and logs). */
export interface CollectedValue {
  value: string;
  pii: boolean;
}

/**
 * How a call ended. `kind` is the outcome's name as the call orchestration defines it (e.g.
 * `completed`, `transferred`, `voicemail`, `callerHungUp`, `rejected`, `failed`); calls can be
 * listed by it.
 */
export interface CallOutcome {
  kind: string;
  /** The step the call ended in. */
  step?: string;
  /** Transfer target (an id, not a caller number). */
  target?: string;
  /** Short machine-readable reason (`noFlowBound`, `GRAPH.THROTTLED`…). */
  reason?: string;
  [key: string]: unknown;
}

/** Where a voicemail recording was stored. */
export interface VoicemailRef {
  /** Blob URL (no SAS token). */
  url: string;
  contentType?: string;
  durationMs?: number;
}

/** One call, from the incoming notification to its end. `callId` is the Graph call id. */
export interface CallRecord {
  callId: string;
  /** Caller's number or identity as Graph gave it (PII); empty when the caller id is withheld. */
  from: string;
  /** The dialled number (E.164). */
  to: string;
  /** The flow the call ran; absent when no flow was bound (the call was rejected). */
  flowId?: string;
  /** The published version pinned at call start. */
  flowVersion?: number;
  startedAt: IsoTime;
  answeredAt?: IsoTime;
  endedAt?: IsoTime;
  outcome?: CallOutcome;
  /** Names of the steps taken, in order. */
  path: string[];
  /** Values collected from the caller by name. */
  collected: Record<string, CollectedValue>;
  status: CallStatus;
  voicemail?: VoicemailRef;
  etag: string;
}

/** What `calls.create` takes: a record without `etag`; `path`, `collected` and `status` default to `[]`, `{}`, `active`. */
export type NewCallRecord = Omit<CallRecord, 'etag' | 'path' | 'collected' | 'status'> &
  Partial<Pick<CallRecord, 'path' | 'collected' | 'status'>>;

/** The fields `calls.update` may change (`callId`, `from`, `to` and `startedAt` never change). */
export type CallChanges = Partial<
  Pick<
    CallRecord,
    | 'flowId'
    | 'flowVersion'
    | 'answeredAt'
    | 'endedAt'
    | 'outcome'
    | 'path'
    | 'collected'
    | 'status'
    | 'voicemail'
  >
>;

/** Filters for `calls.list`; all optional and combined with AND. Newest first (by `startedAt`). */
export interface CallQuery {
  /** Calls started at or after this time. */
  startedFrom?: IsoTime;
  /** Calls started strictly before this time. */
  startedBefore?: IsoTime;
  /** Calls from or to this number. */
  number?: string;
  flowId?: string;
  /** `outcome.kind` equals this. */
  outcomeKind?: string;
  /** Only calls with `status: 'active'`. */
  activeOnly?: boolean;
  /** Page size, 1–200 (default 50). A page may hold fewer items even when more follow. */
  limit?: number;
  /** The `continuation` of the previous page, with the same filters. */
  continuation?: string;
}

/** One page of a listing; `continuation` is absent on the last page. */
export interface Page<T> {
  items: T[];
  continuation?: string;
}

/** Timeline event kinds the project writes; others are allowed. */
export type TimelineEventKind =
  'notification' | 'step' | 'graphRequest' | 'outcome' | 'error' | (string & {});

/** What `timelines.append` takes. */
export interface NewTimelineEvent {
  callId: string;
  /**
   * Optional sequence number chosen by the writer (a Graph `sequenceId`, the orchestration's step
   * counter). An event whose (`kind`, `seq`) is already stored for the call is not stored again,
   * so retried activities and redelivered notifications are harmless.
   */
  seq?: number;
  at: IsoTime;
  kind: TimelineEventKind;
  /** For `graphRequest`: how long the request took, in milliseconds. */
  durationMs?: number;
  /** JSON-serialisable details (no secrets; mark caller data as such). */
  data: Record<string, unknown>;
}

/** A stored timeline event. */
export interface TimelineEvent extends NewTimelineEvent {
  /** Store-assigned id, unique within the call. */
  id: string;
}
