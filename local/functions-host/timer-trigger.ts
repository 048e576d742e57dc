/**
 * Timer triggers on the local host, as the Azure Functions timer trigger behaves
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer):
 * - `schedule` is an NCRONTAB expression with six fields `{second} {minute} {hour} {day} {month}
 *   {day-of-week}` (parsed by `cron-parser`), or a TimeSpan `hh:mm:ss` (a fixed interval);
 *   times are UTC unless `WEBSITE_TIME_ZONE` names an IANA zone;
 * - `runOnStartup: true` fires once when the host starts;
 * - with `useMonitor` (default true) the schedule status (last/next occurrence) is persisted in
 *   `<dataDir>/timers.json`; an occurrence missed while the host was down fires once at start with
 *   `isPastDue: true`;
 * - one invocation of a timer function at a time: the next occurrence is computed after the
 *   previous invocation ends;
 * - a registered `retry` policy (fixed delay or exponential backoff) retries a failed invocation.
 * The payload is the host's JSON (`{Schedule:{AdjustForDST}, ScheduleStatus:{Last,Next,LastUpdated},
 * IsPastDue}`), which the library camel-cases into its `Timer` type.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { AppError, ensureError } from '../../shared/errors/app-error.js';
import type { FunctionRegistry, RegisteredFunction } from './registry.js';
import { invokeWithRetry } from './retry.js';

/** Longest single `setTimeout` delay Node accepts (ms). */
const MAX_DELAY_MS = 2_147_483_647;

/** A parsed timer schedule: the next occurrence strictly after `after`. */
export interface TimerSchedule {
  readonly expression: string;
  next(after: Date): Date;
}

/**
 * Parses an NCRONTAB (6 fields, seconds first) or TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`) schedule.
 * Errors: `HOST.INVALID_SCHEDULE` naming the function and the expression.
 */
export function parseTimerSchedule(expression: string, functionName = '?', timeZone?: string): TimerSchedule {
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(expression.trim());
  if (span) {
    const ms =
      (((Number(span[1] ?? 0) * 24 + Number(span[2])) * 60 + Number(span[3])) * 60 + Number(span[4])) * 1000;
    if (ms <= 0)
      throw new AppError(
        'HOST.INVALID_SCHEDULE',
        `Timer "${functionName}": the interval "${expression}" must be positive.`,
      );
    return { expression, next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new AppError(
      'HOST.INVALID_SCHEDULE',
      `Timer "${functionName}": "${expression}" must have six NCRONTAB fields ({second} {minute} {hour} {day} {month} {day-of-week}).`,
      {
        metadata: { functionName, expression },
      },
    );
  }
  try {
    CronExpressionParser.parse(expression, { tz: timeZone ?? 'UTC' });
  } catch (err) {
    throw new AppError(
      'HOST.INVALID_SCHEDULE',
      `Timer "${functionName}": "${expression}" is not a valid NCRONTAB expression: ${ensureError(err).message}`,
      {
        metadata: { functionName, expression },
      },
    );
  }
  return {
    expression,
    next(after: Date): Date {
      return CronExpressionParser.parse(expression, { currentDate: after, tz: timeZone ?? 'UTC' })
        .next()
        .toDate();
    },
  };
}

/** The timer payload as the Functions host serialises it (PascalCase; the library camel-cases it). */
export function timerPayload(
  status: { last: Date | undefined; next: Date; lastUpdated: Date },
  isPastDue: boolean,
): string {
  return JSON.stringify({
    Schedule: { AdjustForDST: true },
    ScheduleStatus: {
      Last: (status.last ?? new Date(0)).toISOString(),
      Next: status.next.toISOString(),
      LastUpdated: status.lastUpdated.toISOString(),
    },
    IsPastDue: isPastDue,
  });
}

interface MonitorRecord {
  last?: string;
  next: string;
  lastUpdated: string;
}

/** Persisted schedule status per timer function (`<dataDir>/timers.json`). */
class ScheduleMonitor {
  readonly #file: string;
  #records: Record<string, MonitorRecord>;

  constructor(file: string) {
    this.#file = file;
    try {
      this.#records = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, MonitorRecord>;
    } catch {
      this.#records = {};
    }
  }

  get(name: string): MonitorRecord | undefined {
    return this.#records[name];
  }

  set(name: string, record: MonitorRecord): void {
    this.#records[name] = record;
    fs.mkdirSync(path.dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.#records, null, 2));
    fs.renameSync(tmp, this.#file);
  }
}

/** Options for {@link startTimerTriggers}. */
export interface TimerTriggerOptions {
  registry: FunctionRegistry;
  /** Folder for `timers.json` (the schedule monitor). */
  dataDir: string;
  /** IANA time zone for schedules (Azure's `WEBSITE_TIME_ZONE`); default UTC. */
  timeZone?: string | undefined;
}

/** Running timer triggers. */
export interface TimerTriggers {
  /** Function names being scheduled. */
  readonly functions: string[];
  /** Stops scheduling and waits for running timer invocations. */
  stop(): Promise<void>;
}

/**
 * Schedules every `timerTrigger` function in the registry. Schedules are validated before anything
 * starts (errors: `HOST.INVALID_SCHEDULE`). Invocation failures are logged, never thrown.
 */
export function startTimerTriggers(options: TimerTriggerOptions): TimerTriggers {
  const { registry } = options;
  const monitor = new ScheduleMonitor(path.join(options.dataDir, 'timers.json'));
  const timers = registry.functions().filter((f) => f.trigger.binding.type.toLowerCase() === 'timertrigger');
  const plans = timers.map((fn) => {
    const schedule = typeof fn.trigger.binding.schedule === 'string' ? fn.trigger.binding.schedule : '';
    return { fn, schedule: parseTimerSchedule(schedule, fn.name, options.timeZone) };
  });
  let stopped = false;
  const handles = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();

  const fire = async (
    fn: RegisteredFunction,
    schedule: TimerSchedule,
    isPastDue: boolean,
    useMonitor: boolean,
  ): Promise<void> => {
    const now = new Date();
    const previous = monitor.get(fn.name);
    const next = schedule.next(now);
    const status = { last: previous?.last ? new Date(previous.last) : undefined, next, lastUpdated: now };
    try {
      await invokeWithRetry(
        registry,
        fn.name,
        { json: timerPayload(status, isPastDue) },
        undefined,
        () => stopped,
      );
    } catch (err) {
      registry.log('error', 'system', `Timer function "${fn.name}" failed: ${ensureError(err).message}`);
    }
    if (useMonitor && !stopped)
      monitor.set(fn.name, {
        last: now.toISOString(),
        next: schedule.next(new Date()).toISOString(),
        lastUpdated: new Date().toISOString(),
      });
  };

  const track = (p: Promise<void>): Promise<void> => {
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };

  const arm = (fn: RegisteredFunction, schedule: TimerSchedule, useMonitor: boolean, at: Date): void => {
    if (stopped) return;
    const delay = Math.max(0, at.getTime() - Date.now());
    const handle = setTimeout(
      () => {
        handles.delete(handle);
        if (stopped) return;
        if (at.getTime() > Date.now()) {
          arm(fn, schedule, useMonitor, at); // a long delay was split; keep waiting
          return;
        }
        void track(fire(fn, schedule, false, useMonitor)).then(() =>
          arm(fn, schedule, useMonitor, schedule.next(new Date())),
        );
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    handles.add(handle);
  };

  for (const { fn, schedule } of plans) {
    const b = fn.trigger.binding;
    const useMonitor = b.useMonitor !== false;
    const record = useMonitor ? monitor.get(fn.name) : undefined;
    const missed = record !== undefined && new Date(record.next).getTime() < Date.now();
    const first = b.runOnStartup === true || missed;
    if (first) {
      void track(fire(fn, schedule, missed && b.runOnStartup !== true, useMonitor)).then(() =>
        arm(fn, schedule, useMonitor, schedule.next(new Date())),
      );
    } else {
      const next = schedule.next(new Date());
      if (useMonitor)
        monitor.set(fn.name, {
          ...(record?.last ? { last: record.last } : {}),
          next: next.toISOString(),
          lastUpdated: new Date().toISOString(),
        });
      arm(fn, schedule, useMonitor, next);
    }
  }

  return {
    functions: plans.map((p) => p.fn.name),
    async stop(): Promise<void> {
      stopped = true;
      for (const h of handles) clearTimeout(h);
      handles.clear();
      await Promise.allSettled([...running]);
    },
  };
}
