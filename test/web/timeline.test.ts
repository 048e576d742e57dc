import { describe, expect, it } from 'vitest';

import { eventLabel, timelineBars } from '../../web/src/timeline.js';
import type { TimelineEvent } from '../../web/src/types.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
let n = 0;
const ev = (ms: number, kind: string, data: Record<string, unknown>, durationMs?: number): TimelineEvent => ({
  id: String(n++),
  at: at(ms),
  kind,
  data,
  ...(durationMs === undefined ? {} : { durationMs }),
});

describe('call timeline bars', () => {
  it('orders events by time; steps last until the next step, Graph requests their measured time', () => {
    const events = [
      ev(2500, 'step', { from: 'greet', to: 'mainMenu', reason: 'next' }),
      ev(0, 'notification', { eventKind: 'incomingCall' }),
      ev(100, 'step', { from: null, to: 'greet', reason: 'start' }),
      ev(120, 'graphRequest', { request: 'answer', ok: true }, 40),
      ev(4000, 'outcome', { kind: 'transferred', target: '+14255550170' }),
    ];
    const { bars, totalMs } = timelineBars(events, at(0), at(5000));
    expect(totalMs).toBe(5000);
    expect(bars.map((b) => [b.label, b.startMs, b.durationMs])).toEqual([
      ['notification incomingCall', 0, 0],
      ['step greet (start)', 100, 2400],
      ['Graph answer', 120, 40],
      ['step mainMenu (next)', 2500, 1500],
      ['outcome transferred to +14255550170', 4000, 0],
    ]);
  });

  it('a last step runs to the call end (or the latest event when the call is still active)', () => {
    const { bars } = timelineBars(
      [ev(100, 'step', { to: 'menu' }), ev(900, 'graphRequest', { request: 'playPrompts' }, 300)],
      at(0),
      undefined,
    );
    expect(bars[0]).toMatchObject({ label: 'step menu', durationMs: 1100 });
  });

  it('labels failures, operator actions and never shows the caller input of a step', () => {
    expect(
      eventLabel(ev(0, 'graphRequest', { request: 'transfer', ok: false, code: 'GRAPH.CONFLICT' })),
    ).toBe('Graph transfer failed GRAPH.CONFLICT');
    expect(eventLabel(ev(0, 'operator', { action: 'terminate', by: 'otto@contoso.example' }))).toBe(
      'operator terminate by otto@contoso.example',
    );
    expect(eventLabel(ev(0, 'step', { to: 'account', reason: 'digits', input: '123456', pii: true }))).toBe(
      'step account (digits)',
    );
    expect(eventLabel(ev(0, 'step', { to: null, reason: 'end:transferred' }))).toBe(
      'flow ends (end:transferred)',
    );
  });
});
