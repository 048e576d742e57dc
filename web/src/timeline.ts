/**
 * A call's timeline as Gantt bars (pure: no DOM; tested in Node): labels from the fields the
 * timeline writers put in `data`, offsets and durations in ms from the call's start.
 */
import type { TimelineEvent } from './types.js';

/** A bar of the Gantt chart: offset and duration from the call start, in ms. */
export interface Bar {
  label: string;
  kind: string;
  startMs: number;
  durationMs: number;
}

/**
 * A short label for a timeline event, from the fields the writers put in `data`: steps
 * `{from, to, reason}` (the caller's `input` is personal data and is not shown), Graph requests
 * `{request, ok, code?}`, notifications `{eventKind}`, outcomes `{kind, target?, reason?}`.
 */
export function eventLabel(e: TimelineEvent): string {
  const d = e.data;
  const str = (k: string): string =>
    typeof d[k] === 'string' || typeof d[k] === 'number' ? String(d[k]) : '';
  switch (e.kind) {
    case 'step':
      return `${str('to') ? `step ${str('to')}` : 'flow ends'}${str('reason') ? ` (${str('reason')})` : ''}`;
    case 'graphRequest':
      return `Graph ${str('request') || '?'}${d.ok === false ? ` failed ${str('code')}`.trimEnd() : ''}`;
    case 'notification':
      return `notification ${str('eventKind') || '?'}`;
    case 'operator':
      return `operator ${str('action')}${str('by') ? ` by ${str('by')}` : ''}`;
    case 'outcome':
      return `outcome ${str('kind')}${str('target') ? ` to ${str('target')}` : ''}`;
    default:
      return `${e.kind} ${str('code') || str('message')}`.trim();
  }
}

/** Bars for the timeline: steps span to the next step (or the call's end); others use `durationMs`. */
export function timelineBars(
  events: readonly TimelineEvent[],
  startIso: string,
  endIso: string | undefined,
): { bars: Bar[]; totalMs: number } {
  const t0 = Date.parse(startIso);
  const sorted = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const last = Math.max(
    endIso ? Date.parse(endIso) : 0,
    ...sorted.map((e) => Date.parse(e.at) + (e.durationMs ?? 0)),
  );
  const bars = sorted.map((e, i) => {
    const start = Date.parse(e.at) - t0;
    let duration = e.durationMs ?? 0;
    if (e.kind === 'step') {
      const next = sorted.slice(i + 1).find((n) => n.kind === 'step' || n.kind === 'outcome');
      duration = (next ? Date.parse(next.at) : last) - Date.parse(e.at);
    }
    return { label: eventLabel(e), kind: e.kind, startMs: start, durationMs: Math.max(0, duration) };
  });
  return { bars, totalMs: Math.max(1, last - t0) };
}
