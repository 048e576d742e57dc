/**
 * Graph's error body (https://learn.microsoft.com/graph/errors):
 * `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`.
 */
import { randomUUID } from 'node:crypto';

/** The JSON body Graph answers a failed request with. */
export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

/**
 * Thrown inside route handlers to answer with a Graph error: `status` (HTTP), `code` (Graph's
 * error code string, e.g. `itemNotFound`) and a message. Headers (e.g. `Retry-After`) are optional.
 */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphHttpError';
  }
}

/** Builds the body for one failed request; `requestId` is echoed in the `request-id` header too. */
export function graphErrorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string | undefined,
): GraphErrorBody {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId ?? randomUUID(),
      },
    },
  };
}
