import type { NewTimelineEvent, TimelineEvent } from './model.js';

/**
 * Per-call timelines, append-only. Events expire after the store's timeline TTL (days; Cosmos DB
 * item TTL, a sweep in the embedded store).
 *
 * Errors (`StoreError`): `STORE.INVALID` for bad input, `STORE.UNAVAILABLE` (retryable).
 */
export interface TimelineRepository {
  /** Appends one event; an event whose (`kind`, `seq`) is already stored for the call is returned, not duplicated. */
  append(event: NewTimelineEvent): Promise<TimelineEvent>;
  /** Appends several events (any calls); all are validated before any is stored. Same dedupe as `append`. */
  appendMany(events: NewTimelineEvent[]): Promise<TimelineEvent[]>;
  /** A call's events in time order (`at`, then `seq`, then append order); `[]` for an unknown call. */
  list(callId: string): Promise<TimelineEvent[]>;
  /** Deletes expired events now (embedded store); Cosmos DB expires them itself and returns 0. Returns how many were deleted. */
  purgeExpired(): Promise<number>;
}
