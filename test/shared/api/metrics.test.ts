import { describe, expect, it } from 'vitest';
import { computeFlowMetrics, stepTransition, summarize } from '../../../shared/api/metrics.js';
import type { CallRecord, TimelineEvent } from '../../../shared/store/index.js';

const call = (over: Partial<CallRecord> & { callId: string }): CallRecord => ({
  from: '+1',
  to: '+2',
  startedAt: '2026-11-20T10:00:00.000Z',
  path: [],
  collected: {},
  status: 'ended',
  etag: '"e"',
  ...over,
});
const step = (callId: string, from: string | null, to: string | null, reason: string): TimelineEvent => ({
  id: `${callId}-${from}-${to}`,
  callId,
  at: '2026-11-20T10:00:01.000Z',
  kind: 'step',
  data: { from, to, reason },
});

describe('computeFlowMetrics', () => {
  it('groups by flow and version and counts outcomes, abandonment, answer times, steps and branches', () => {
    const calls = [
      call({
        callId: 'a',
        flowId: 'f',
        flowVersion: 1,
        answeredAt: '2026-11-20T10:00:02.000Z',
        outcome: { kind: 'completed' },
        path: ['s', 'x'],
      }),
      call({
        callId: 'b',
        flowId: 'f',
        flowVersion: 1,
        answeredAt: '2026-11-20T10:00:04.000Z',
        outcome: { kind: 'hungUpByCaller' },
        path: ['s'],
      }),
      call({ callId: 'c', flowId: 'f', flowVersion: 1, status: 'active', path: ['s'] }),
      call({ callId: 'd', flowId: 'f', flowVersion: 2, outcome: { kind: 'completed' } }),
      call({ callId: 'e', outcome: { kind: 'rejected' } }),
    ];
    const timelines = new Map([
      [
        'a',
        [step('a', null, 's', 'entry'), step('a', 's', 'x', 'option:1'), step('a', 's', 'x', 'option:1')],
      ],
      ['b', [step('b', 's', 'y', 'noInput')]],
      ['d', [{ ...step('d', null, null, 'x'), kind: 'notification' }]],
    ]);
    const [v1, v2, ...rest] = computeFlowMetrics(calls, timelines);
    expect(rest).toEqual([]);
    expect(v1).toEqual({
      flowId: 'f',
      version: 1,
      calls: 3,
      active: 1,
      answered: 2,
      outcomes: { completed: 1, hungUpByCaller: 1 },
      abandoned: 1,
      abandonmentRate: 0.5,
      timeToAnswerMs: { count: 2, avg: 3000, p50: 2000, p90: 4000, max: 4000 },
      steps: { s: 3, x: 1, y: 1 },
      branches: { 's --option:1--> x': 1, 's --noInput--> y': 1 },
    });
    expect(v2).toMatchObject({ version: 2, calls: 1, abandonmentRate: 0, timeToAnswerMs: null, steps: {} });
  });

  it('reads step events as transitions and ignores other kinds', () => {
    expect(stepTransition(step('a', 's', 'x', 'next'))).toEqual({ from: 's', to: 'x', reason: 'next' });
    expect(stepTransition({ kind: 'step', data: { step: 'menu' } })).toEqual({
      from: null,
      to: 'menu',
      reason: null,
    });
    expect(stepTransition({ kind: 'graphRequest', data: {} })).toBeUndefined();
  });

  it('summarize uses nearest-rank percentiles', () => {
    expect(summarize([])).toBeNull();
    expect(summarize([5, 1, 3, 2, 4, 6, 7, 8, 9, 10])).toEqual({
      count: 10,
      avg: 6,
      p50: 5,
      p90: 9,
      max: 10,
    });
  });
});
