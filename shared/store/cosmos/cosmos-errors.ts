import { StoreError, StoreErrorCode } from '../store-error.js';

const UNAVAILABLE_STATUS = new Set([408, 410, 429, 449, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/** The HTTP status (or Node error code) of an `@azure/cosmos` error, if any. */
export function cosmosStatus(err: unknown): number | string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' || typeof code === 'string') return code;
  const statusCode = (err as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/**
 * Maps an `@azure/cosmos` failure to a `StoreError` (Cosmos DB REST status codes,
 * https://learn.microsoft.com/rest/api/cosmos-db/http-status-codes-for-cosmosdb):
 * 404 → `STORE.NOT_FOUND`; 409 (exists) and 412 (If-Match failed) → `STORE.CONFLICT`;
 * 400/413 → `STORE.INVALID`; 408/410/429/449/5xx, network errors, timeouts and anything
 * unrecognised → `STORE.UNAVAILABLE` (retryable). A `StoreError` passes through unchanged.
 */
export function toStoreError(
  err: unknown,
  where: string,
  metadata: Record<string, unknown> = {},
): StoreError {
  if (err instanceof StoreError) return err;
  const status = cosmosStatus(err);
  const meta = { where, ...metadata, status };
  if (status === 404)
    return new StoreError(StoreErrorCode.NotFound, `${where}: not found`, { metadata: meta, cause: err });
  if (status === 409 || status === 412)
    return new StoreError(
      StoreErrorCode.Conflict,
      status === 409 ? `${where}: already exists` : `${where}: changed since it was read (ETag mismatch)`,
      { metadata: meta, cause: err },
    );
  if (status === 400 || status === 413)
    return new StoreError(StoreErrorCode.Invalid, `${where}: rejected by Cosmos DB (HTTP ${status})`, {
      metadata: meta,
      cause: err,
    });
  if (typeof status === 'number' && !UNAVAILABLE_STATUS.has(status) && status >= 400 && status < 500)
    return new StoreError(
      StoreErrorCode.Unavailable,
      `${where}: Cosmos DB refused the request (HTTP ${status})`,
      {
        metadata: meta,
        cause: err,
      },
    );
  const network = typeof status === 'string' && NETWORK_CODES.has(status);
  return new StoreError(
    StoreErrorCode.Unavailable,
    network || typeof status === 'number'
      ? `${where}: Cosmos DB unavailable (${String(status)})`
      : `${where}: Cosmos DB request failed`,
    { metadata: meta, cause: err },
  );
}

/** Runs `fn`, turning any failure into a `StoreError` for operation `where`. */
export async function guard<T>(
  where: string,
  fn: () => Promise<T>,
  metadata?: Record<string, unknown>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err, where, metadata);
  }
}

/** Fields Cosmos DB adds to every item, stripped before returning domain objects. */
export const SYSTEM_FIELDS = [
  'id',
  '_rid',
  '_self',
  '_etag',
  '_attachments',
  '_ts',
  '_lsn',
  'ttl',
  'type',
] as const;

/** A copy of `item` without Cosmos system fields and our bookkeeping fields. */
export function stripSystem(item: object, extra: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  for (const key of [...SYSTEM_FIELDS, ...extra]) delete out[key];
  return out;
}
