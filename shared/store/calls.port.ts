import type { CallChanges, CallQuery, CallRecord, NewCallRecord, Page } from './model.js';

/**
 * Call records, keyed by the Graph call id.
 *
 * Errors (`StoreError`): `STORE.INVALID` for bad input (where/what in the message and metadata),
 * `STORE.CONFLICT` (the record exists on create; the ETag no longer matches on update),
 * `STORE.NOT_FOUND` (update of an unknown call), `STORE.UNAVAILABLE` (retryable).
 */
export interface CallRepository {
  /** Stores a new call record (`status` defaults to `active`); returns it with its ETag. */
  create(record: NewCallRecord): Promise<CallRecord>;
  /** The call record, or undefined. */
  get(callId: string): Promise<CallRecord | undefined>;
  /**
   * Applies `changes` if the record still has ETag `etag` (optimistic concurrency; nothing is
   * overwritten on conflict). Returns the updated record with its new ETag.
   */
  update(callId: string, changes: CallChanges, options: { etag: string }): Promise<CallRecord>;
  /**
   * Read-modify-write with retries on `STORE.CONFLICT`: reads the record, calls `change` with it and
   * writes the changes it returns under the ETag read; up to `maxAttempts` (default 5) tries.
   */
  mutate(
    callId: string,
    change: (current: CallRecord) => CallChanges,
    options?: { maxAttempts?: number },
  ): Promise<CallRecord>;
  /** Calls matching the filters, newest first (by `startedAt`, then `callId`), one page at a time. */
  list(query?: CallQuery): Promise<Page<CallRecord>>;
}
