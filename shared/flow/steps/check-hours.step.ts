/**
 * `checkHours`: open / closed / holiday now, in the flow's IANA timezone (luxon). `now` is the
 * event's `at`, never the clock. Ranges are `HH:MM-HH:MM` (end may be `24:00`), end exclusive.
 */
import { DateTime } from 'luxon';

import type { StepOf } from '../schema.js';
import type { Edge, StepHandler, StepProblem } from './step.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const RANGE = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$/;

/** Parses `HH:MM-HH:MM` to minutes `[start, end)`; undefined when malformed or not increasing. */
export function parseRange(r: string): [number, number] | undefined {
  const m = RANGE.exec(r);
  if (!m) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (end > 24 * 60 || end <= start) return undefined;
  return [start, end];
}

/** `open`, `closed` or `holiday` for `at` (ISO) in `timezone`. */
export function hoursState(
  s: StepOf<'checkHours'>,
  timezone: string,
  at: string,
): 'open' | 'closed' | 'holiday' {
  const dt = DateTime.fromISO(at, { zone: timezone });
  if (!dt.isValid) return 'closed';
  if (s.holidays?.includes(dt.toISODate() ?? '')) return 'holiday';
  const ranges = s.schedule[DAYS[dt.weekday - 1] ?? 'mon'] ?? [];
  const minute = dt.hour * 60 + dt.minute;
  return ranges.some((r) => {
    const p = parseRange(r);
    return p !== undefined && minute >= p[0] && minute < p[1];
  })
    ? 'open'
    : 'closed';
}

export const checkHours: StepHandler<'checkHours'> = {
  type: 'checkHours',
  answers: false,
  terminal: () => false,
  edges(s, name) {
    const edges: Edge[] = [
      { to: s.open, label: 'open', kind: 'auto', path: ['steps', name, 'open'] },
      { to: s.closed, label: 'closed', kind: 'auto', path: ['steps', name, 'closed'] },
    ];
    if ((s.holidays?.length ?? 0) > 0 || s.holiday !== undefined)
      edges.push({
        to: s.holiday ?? s.closed,
        label: 'holiday',
        kind: 'auto',
        path: ['steps', name, s.holiday === undefined ? 'closed' : 'holiday'],
      });
    return edges;
  },
  refs: () => ({ prompts: [], expressions: [], writes: [] }),
  check(s, name) {
    const out: StepProblem[] = [];
    for (const day of DAYS) {
      const ranges = s.schedule[day] ?? [];
      const parsed: { r: [number, number]; i: number }[] = [];
      ranges.forEach((r, i) => {
        const p = parseRange(r);
        if (p === undefined)
          out.push({
            path: ['steps', name, 'schedule', day, i],
            severity: 'error',
            code: 'FLOW.BAD_HOURS',
            message: `"${r}" is not a range HH:MM-HH:MM with end after start`,
          });
        else parsed.push({ r: p, i });
      });
      parsed.sort((a, b) => a.r[0] - b.r[0]);
      for (let k = 1; k < parsed.length; k++) {
        const prev = parsed[k - 1]!;
        const cur = parsed[k]!;
        if (cur.r[0] < prev.r[1])
          out.push({
            path: ['steps', name, 'schedule', day, cur.i],
            severity: 'error',
            code: 'FLOW.OVERLAPPING_HOURS',
            message: `"${ranges[cur.i]}" overlaps "${ranges[prev.i]}" on ${day}`,
          });
      }
    }
    (s.holidays ?? []).forEach((h, i) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(h) || !DateTime.fromISO(h).isValid)
        out.push({
          path: ['steps', name, 'holidays', i],
          severity: 'error',
          code: 'FLOW.BAD_HOLIDAY',
          message: `"${h}" is not a date YYYY-MM-DD`,
        });
    });
    return out;
  },
  enter(run, s) {
    const st = hoursState(s, run.flow.timezone, run.at);
    if (st === 'holiday') run.goto(s.holiday ?? s.closed, 'holiday');
    else run.goto(st === 'open' ? s.open : s.closed, st);
  },
  onEvent() {},
};
