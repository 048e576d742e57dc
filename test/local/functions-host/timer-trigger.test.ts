import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../local/functions-host/load-app.js';
import { retryDelayMs } from '../../../local/functions-host/retry.js';
import {
  parseTimerSchedule,
  startTimerTriggers,
  timerPayload,
} from '../../../local/functions-host/timer-trigger.js';

const entry = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/apps/triggers/index.ts',
);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'timer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('parseTimerSchedule', () => {
  it('computes NCRONTAB occurrences with a seconds field, in UTC', () => {
    const s = parseTimerSchedule('0 */5 * * * *', 'f');
    expect(s.next(new Date('2026-03-01T10:02:30Z')).toISOString()).toBe('2026-03-01T10:05:00.000Z');
    expect(parseTimerSchedule('30 0 2 * * *').next(new Date('2026-03-01T10:00:00Z')).toISOString()).toBe(
      '2026-03-02T02:00:30.000Z',
    );
  });

  it('accepts a TimeSpan interval', () => {
    expect(parseTimerSchedule('00:00:15').next(new Date('2026-03-01T10:00:00Z')).toISOString()).toBe(
      '2026-03-01T10:00:15.000Z',
    );
  });

  it('rejects five-field cron and garbage with HOST.INVALID_SCHEDULE', () => {
    expect(() => parseTimerSchedule('*/5 * * * *', 'five')).toThrow(
      expect.objectContaining({ code: 'HOST.INVALID_SCHEDULE' }),
    );
    expect(() => parseTimerSchedule('a b c d e f', 'bad')).toThrow(
      expect.objectContaining({ code: 'HOST.INVALID_SCHEDULE' }),
    );
  });

  it('serialises the payload in the host shape', () => {
    const p = JSON.parse(
      timerPayload(
        {
          last: undefined,
          next: new Date('2026-01-01T00:00:00Z'),
          lastUpdated: new Date('2025-12-31T23:59:59Z'),
        },
        true,
      ),
    ) as Record<string, unknown>;
    expect(p).toEqual({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: '1970-01-01T00:00:00.000Z',
        Next: '2026-01-01T00:00:00.000Z',
        LastUpdated: '2025-12-31T23:59:59.000Z',
      },
      IsPastDue: true,
    });
  });
});

describe('retryDelayMs', () => {
  it('follows fixed delay and capped exponential backoff', () => {
    expect(retryDelayMs({ retryStrategy: 'fixedDelay', delayInterval: { seconds: 2 } }, 5)).toBe(2000);
    const exp = {
      retryStrategy: 'exponentialBackoff',
      minimumInterval: { seconds: 1 },
      maximumInterval: { seconds: 10 },
    };
    expect([0, 1, 2, 3, 4].map((n) => retryDelayMs(exp, n))).toEqual([1000, 2000, 4000, 8000, 10000]);
  });
});

describe('startTimerTriggers schedule monitor', () => {
  it('fires an occurrence missed while the host was down once at start, with isPastDue', async () => {
    const registry = await loadApp(entry);
    registry.setLogSink(() => undefined);
    const app = (await import('../../fixtures/apps/triggers/index.js')) as {
      ticks: { isPastDue: boolean }[];
      retryAttempts: (number | undefined)[];
    };
    fs.writeFileSync(
      path.join(tmp, 'timers.json'),
      JSON.stringify({
        everySecond: {
          last: '2026-01-01T00:00:00.000Z',
          next: '2026-01-01T00:00:01.000Z',
          lastUpdated: '2026-01-01T00:00:00.000Z',
        },
      }),
    );
    const timers = startTimerTriggers({ registry, dataDir: tmp });
    try {
      expect(timers.functions).toEqual(['everySecond', 'retryingTimer']);
      // Conditions, not durations: a loaded machine may be slow, never wrong.
      const until = async (done: () => boolean): Promise<void> => {
        const deadline = Date.now() + 20_000;
        while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      };
      await until(() => app.ticks.length > 0);
      expect(app.ticks[0]?.isPastDue).toBe(true);
      await until(() => app.ticks.length >= 2);
      expect(app.ticks[1]?.isPastDue).toBe(false);
      // runOnStartup timer with a fixedDelay retry policy: fails twice, succeeds on the third attempt.
      await until(() => app.retryAttempts.length >= 3);
      // A success ends the retries: no fourth attempt shortly after.
      await new Promise((r) => setTimeout(r, 200));
      expect(app.retryAttempts).toEqual([0, 1, 2]);
    } finally {
      await timers.stop();
    }
  });
});
