import { AppError } from '../errors/app-error.js';

/**
 * The store's error codes. Callers branch on `code`, never on the message:
 * - `STORE.NOT_FOUND`: the thing an operation needs (a call record, a draft, a flow version, a binding) is absent.
 * - `STORE.CONFLICT`: optimistic concurrency lost (the ETag given no longer matches, HTTP 412 in Cosmos DB) or
 *   the thing to create already exists (HTTP 409). Nothing was overwritten; re-read and decide.
 * - `STORE.IMMUTABLE`: an attempt to change a published flow version.
 * - `STORE.INVALID`: bad input; `metadata.where` names the operation, `metadata.field` the field.
 * - `STORE.UNAVAILABLE`: the database could not be reached or throttled us (429/503/timeouts); retryable.
 */
export const StoreErrorCode = {
  NotFound: 'STORE.NOT_FOUND',
  Conflict: 'STORE.CONFLICT',
  Immutable: 'STORE.IMMUTABLE',
  Invalid: 'STORE.INVALID',
  Unavailable: 'STORE.UNAVAILABLE',
} as const;

/** One of {@link StoreErrorCode}'s values. */
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/**
 * The one error type the store's repositories throw (both adapters). `retryable` is true only for
 * `STORE.UNAVAILABLE`. Messages and metadata carry ids and field names, never phone numbers or
 * collected caller input.
 */
export class StoreError extends AppError {
  declare readonly code: StoreErrorCode;

  constructor(
    code: StoreErrorCode,
    message: string,
    options: { metadata?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, { ...options, retryable: code === StoreErrorCode.Unavailable });
  }
}

/** True when `err` is a {@link StoreError} with the given code (or any store error without `code`). */
export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/** `STORE.INVALID` for `field` of operation `where` (e.g. `calls.create`, `from`), saying what is wrong. */
export function invalid(where: string, field: string, problem: string): StoreError {
  return new StoreError(StoreErrorCode.Invalid, `${where}: ${field} ${problem}`, {
    metadata: { where, field },
  });
}
