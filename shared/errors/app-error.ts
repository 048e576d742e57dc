/**
 * Switchboard's one error base. Every error that crosses a boundary (an activity result, an HTTP
 * answer, a CLI line) carries a stable string `code` and whether retrying may help, because class
 * identity does not survive the Durable activity boundary: durable-functions rebuilds a failed
 * activity as `new Error(`${Reason} \n ${Details}`)` (TaskOrchestrationExecutor). Keep caller data
 * (phone numbers, DTMF digits) out of `message` and `metadata`: they reach logs and telemetry.
 */
export class AppError extends Error {
  /** Stable machine-readable code, `AREA.REASON` (e.g. `GRAPH.THROTTLED`, `FLOW.STEP_NOT_FOUND`). */
  readonly code: string;
  /** True when the same request may succeed if tried again later (throttling, 5xx, timeouts). */
  readonly retryable: boolean;
  /** Safe, non-personal details for operators (ids, HTTP status, counts). */
  readonly metadata: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; metadata?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.metadata = Object.freeze({ ...(options.metadata ?? {}) });
  }

  /** The serialisable form used for activity failures and API error bodies (no stack). */
  toJSON(): { code: string; message: string; retryable: boolean; metadata: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, metadata: { ...this.metadata } };
  }
}

/** Turns any thrown value into an `Error` at a boundary (after the Functions library's `ensureErrorType`). */
export function ensureError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (typeof err === 'string') return new Error(err);
  try {
    return new Error(JSON.stringify(err));
  } catch {
    return new Error(String(err));
  }
}
