/**
 * Timeline writes the activities make after their Graph requests: best effort (a failed write is
 * logged, never thrown, so a Durable retry never repeats a Graph request), and shaped for ops.
 */
import type { Transition } from '../../shared/flow/index.js';
import type { NewTimelineEvent, Store } from '../../shared/store/index.js';
import type { ActivityLog } from './register.js';

/** Timeline `step` events for transitions; the caller's input (keys, digits) is marked as PII. */
export function transitionEvents(callId: string, transitions: readonly Transition[]): NewTimelineEvent[] {
  return transitions.map((t) => ({
    callId,
    at: t.at,
    kind: 'step',
    data: {
      from: t.from,
      to: t.to,
      reason: t.reason,
      ...(t.input === undefined ? {} : { input: t.input, pii: true }),
    },
  }));
}

/** Appends events, logging (not throwing) a failure. */
export async function appendQuietly(
  store: Store,
  events: NewTimelineEvent[],
  log: ActivityLog | undefined,
): Promise<void> {
  if (events.length === 0) return;
  try {
    await store.timelines.appendMany(events);
  } catch (err) {
    log?.(`timeline write failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
