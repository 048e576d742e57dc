/**
 * The simulator's notion of time. Every delay the Graph simulator makes (prompt playback, ringing
 * timeout, key-press pauses, recording limits, notification retry back-off) goes through a
 * `SimClock`, so tests can run calls faster than real time without changing any durations.
 */

/** Longest delay one `setTimeout` honours (ms); longer ones fire at once in Node. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** A clock for simulated time. All durations are in simulated milliseconds. */
export interface SimClock {
  /** How many simulated ms pass per real ms (1 = real time, 50 = fifty times faster). */
  readonly speed: number;
  /** Simulated wall-clock time, ms since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` simulated milliseconds (`ms / speed` real ms). Rejects with the signal's
   * reason when `signal` aborts first. Negative or NaN durations resolve on the next tick.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Creates a clock that runs in real time (`speed` 1, the default) or scaled (`speed` > 1 runs
 * faster). Simulated time starts at `startMs` (default: the real time at creation).
 * Throws `RangeError` when `speed` is not a finite number > 0.
 */
export function createSimClock(options: { speed?: number; startMs?: number } = {}): SimClock {
  const speed = options.speed ?? 1;
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new RangeError(`createSimClock: speed must be a finite number > 0, got ${String(speed)}`);
  }
  const realStart = Date.now();
  const simStart = options.startMs ?? realStart;
  const simNow = (): number => simStart + (Date.now() - realStart) * speed;
  return {
    speed,
    now: simNow,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason as Error);
          return;
        }
        // Node fires a timer of more than 2^31-1 ms at once, so long waits are chained in steps;
        // and a timer may fire up to 1 ms early by the wall clock (which is `speed` ms of simulated
        // time), so each firing re-arms until simulated time really reached the deadline.
        const due = Number.isFinite(ms) && ms > 0 ? simNow() + ms : simNow();
        let timer: NodeJS.Timeout | undefined;
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(signal?.reason as Error);
        };
        const arm = (): void => {
          const leftSimMs = due - simNow();
          if (leftSimMs <= 0) {
            signal?.removeEventListener('abort', onAbort);
            resolve();
            return;
          }
          timer = setTimeout(arm, Math.min(Math.max(1, Math.ceil(leftSimMs / speed)), MAX_TIMEOUT_MS));
        };
        arm();
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
