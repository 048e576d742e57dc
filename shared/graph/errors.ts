/**
 * Errors of the Graph calls layer. All extend {@link AppError}, so they keep `code` and
 * `retryable` across the Durable activity boundary (see shared/errors/app-error.ts).
 *
 * Codes:
 * - `GRAPH.THROTTLED` (429), `GRAPH.UNAVAILABLE` (503, 504, other 5xx): retryable.
 * - `GRAPH.BAD_REQUEST` (400), `GRAPH.UNAUTHORIZED_OUTBOUND` (401/403: our token was refused),
 *   `GRAPH.NOT_FOUND` (404: unknown or already terminated call), `GRAPH.CONFLICT` (409),
 *   `GRAPH.REQUEST_FAILED` (other 4xx): never retryable.
 * - `GRAPH.TIMEOUT` / `GRAPH.NETWORK`: no answer. Retryable only for idempotent requests; for the
 *   others `metadata.outcomeUnknown` is true (see the client's method docs for what to do).
 * - `GRAPH.TOKEN_FAILED`: MSAL could not get an app-only token (wrong secret, unknown tenant…).
 * - `GRAPH.BAD_RESPONSE`: a 2xx answer we could not read.
 * - `GRAPH.BAD_CONFIG`: the client was configured with an unusable `baseUrl`.
 */
import { AppError } from '../errors/app-error.js';

/** What a failed Graph request carries. All ids are safe to log (no caller data). */
export interface GraphErrorDetails {
  /** HTTP status; 0 when no answer came (timeout, network). */
  status: number;
  /** Graph's `error.code` (`UnknownError`, `BadRequest`, `8501`…), when the body had one. */
  graphCode?: string;
  /** Graph's `request-id` response header (or `error.innerError.request-id`). */
  requestId?: string;
  /** The `client-request-id` we sent (and Graph echoed). */
  clientRequestId?: string;
  /** Milliseconds Graph asked us to wait (`Retry-After`), when it said. */
  retryAfterMs?: number;
  /** HTTP method and path (no host, no query), e.g. `POST /communications/calls/{id}/answer`. */
  request?: string;
  /** True when a non-idempotent request may or may not have taken effect. */
  outcomeUnknown?: boolean;
  /** How many attempts were made. */
  attempts?: number;
}

/** A Graph request that failed; see the module doc for codes. */
export class GraphError extends AppError {
  readonly status: number;
  readonly graphCode: string | undefined;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    code: string,
    message: string,
    details: GraphErrorDetails,
    options: { retryable: boolean; cause?: unknown },
  ) {
    const metadata: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(details)) if (v !== undefined) metadata[k] = v;
    super(code, message, { retryable: options.retryable, metadata, cause: options.cause });
    this.status = details.status;
    this.graphCode = details.graphCode;
    this.requestId = details.requestId;
    this.clientRequestId = details.clientRequestId;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** MSAL could not obtain an app-only token. `metadata.msalCode` is MSAL's `errorCode` (`invalid_client`). */
export class TokenAcquisitionError extends AppError {
  constructor(message: string, metadata: Record<string, unknown>, cause?: unknown) {
    super('GRAPH.TOKEN_FAILED', message, { retryable: false, metadata, cause });
  }
}

/** Maps an HTTP status to its error code and whether retrying may help. */
export function classifyStatus(status: number): { code: string; retryable: boolean } {
  if (status === 429) return { code: 'GRAPH.THROTTLED', retryable: true };
  if (status === 503 || status === 504 || status >= 500)
    return { code: 'GRAPH.UNAVAILABLE', retryable: true };
  if (status === 400) return { code: 'GRAPH.BAD_REQUEST', retryable: false };
  if (status === 401 || status === 403) return { code: 'GRAPH.UNAUTHORIZED_OUTBOUND', retryable: false };
  if (status === 404) return { code: 'GRAPH.NOT_FOUND', retryable: false };
  if (status === 409) return { code: 'GRAPH.CONFLICT', retryable: false };
  return { code: 'GRAPH.REQUEST_FAILED', retryable: false };
}
