/**
 * The console's only way to the back end: the Function app's HTTP API (functions/api/README.md),
 * same origin, bearer token on every request. Errors come back as `ApiError` carrying the API's
 * `{error: {code, message, details}}`.
 */
import { loadSession } from './auth.js';

/** An API error answer (or a network failure: status 0, code `NETWORK`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A successful answer: the parsed JSON body (undefined for 204), status and ETag. */
export interface ApiResult<T> {
  data: T;
  status: number;
  etag: string | null;
}

/** Called when the API answers 401 (the session is gone: sign in again). */
let onUnauthenticated: () => void = () => undefined;
export function setUnauthenticatedHandler(f: () => void): void {
  onUnauthenticated = f;
}

/**
 * Calls `method path` under `/api`. `body` is sent as JSON, or as text when it is a string (flow
 * sources). Rejects with `ApiError` for any non-2xx answer.
 */
export async function call<T>(
  method: string,
  path: string,
  options: { body?: unknown; ifMatch?: string | null; query?: Record<string, string | undefined> } = {},
): Promise<ApiResult<T>> {
  const url = new URL(`/api/${path.replace(/^\//, '')}`, location.origin);
  for (const [k, v] of Object.entries(options.query ?? {}))
    if (v !== undefined && v !== '') url.searchParams.set(k, v);
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = loadSession()?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  let body: string | undefined;
  if (typeof options.body === 'string') {
    body = options.body;
    headers['Content-Type'] = 'text/yaml; charset=utf-8';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The Switchboard API did not answer. Check that the host is running.');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (
      json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined
    )?.error;
    if (res.status === 401) onUnauthenticated();
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? `The API answered ${res.status}.`,
      err?.details,
    );
  }
  return { data: json as T, status: res.status, etag: res.headers.get('ETag') };
}

/** A readable one-line message for any error (API, network or other). */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
