import { describe, expect, it } from 'vitest';

import { hoursState, parseRange } from '../../../../shared/flow/steps/check-hours.step.js';
import type { StepOf } from '../../../../shared/flow/schema.js';

const step: StepOf<'checkHours'> = {
  type: 'checkHours',
  schedule: { mon: ['09:00-12:00', '13:00-17:30'], sat: ['10:00-24:00'] },
  holidays: ['2026-12-25'],
  open: 'o',
  closed: 'c',
};

describe('checkHours', () => {
  it('parses ranges and refuses malformed or backwards ones', () => {
    expect(parseRange('09:00-17:30')).toEqual([540, 1050]);
    expect(parseRange('10:00-24:00')).toEqual([600, 1440]);
    expect(parseRange('17:00-09:00')).toBeUndefined();
    expect(parseRange('9-5')).toBeUndefined();
    expect(parseRange('24:00-24:30')).toBeUndefined();
  });

  it('decides in the flow timezone, end exclusive (Monday 2026-01-05)', () => {
    // 14:00 UTC = 09:00 New York (open); 22:30 UTC = 17:30 (closed, end exclusive); 17:30 UTC = 12:30 (lunch).
    expect(hoursState(step, 'America/New_York', '2026-01-05T14:00:00Z')).toBe('open');
    expect(hoursState(step, 'America/New_York', '2026-01-05T22:30:00Z')).toBe('closed');
    expect(hoursState(step, 'America/New_York', '2026-01-05T17:30:00Z')).toBe('closed');
    expect(hoursState(step, 'Europe/London', '2026-01-05T14:00:00Z')).toBe('open');
    // Sunday has no ranges.
    expect(hoursState(step, 'America/New_York', '2026-01-04T15:00:00Z')).toBe('closed');
  });

  it('reports holidays by the local date, across DST and midnight', () => {
    expect(hoursState(step, 'America/New_York', '2026-12-25T15:00:00Z')).toBe('holiday');
    // 03:00 UTC on the 26th is still the 25th in New York.
    expect(hoursState(step, 'America/New_York', '2026-12-26T03:00:00Z')).toBe('holiday');
    // Saturday 2026-07-11 23:30 local (summer time, UTC-4) is open until 24:00.
    expect(hoursState(step, 'America/New_York', '2026-07-12T03:30:00Z')).toBe('open');
  });
});
