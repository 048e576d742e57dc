/**
 * Flow-format durations: `500ms`, `5s`, `2m` -> integer milliseconds. Plain numbers are refused
 * on purpose (seconds vs milliseconds mix-ups); the schema enforces the same pattern.
 */
import { AppError } from '../errors/app-error.js';

const RE = /^([0-9]{1,7})(ms|s|m)$/;

/** Parses a duration string to ms. Throws `AppError('FLOW.BAD_DURATION')` on anything else. */
export function parseDuration(text: unknown): number {
  const m = typeof text === 'string' ? RE.exec(text) : null;
  if (!m) throw new AppError('FLOW.BAD_DURATION', 'durations are strings like "500ms", "5s" or "2m"');
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** `parseDuration(text)` or `dflt` (ms) when `text` is undefined. */
export function durationMs(text: string | undefined, dflt: number): number {
  return text === undefined ? dflt : parseDuration(text);
}
