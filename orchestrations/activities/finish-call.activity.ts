/**
 * Activity `finishCall`: hangs up when asked (the flow did not and the call may still be up;
 * call-delete, tolerant of a call already gone), then records the outcome, end time and status
 * `ended` on the call record and the last transitions plus an `outcome` event on the timeline.
 * Throws only for store faults (retried by Durable; hanging up again is harmless: DELETE is
 * idempotent).
 */
import { renderOutcome, renderTarget } from '../../shared/flow/index.js';
import { AppError } from '../../shared/errors/app-error.js';
import type { GraphCallsClient } from '../../shared/graph/calls-client.js';
import type { CallOutcome, Store } from '../../shared/store/index.js';
import type { CallEndOutcome, FinishCallInput, FinishCallOutput } from '../activity-contracts.js';
import { registerActivity, type ActivityFn } from './register.js';
import { appendQuietly, transitionEvents } from './timeline.js';

/**
 * The call record's outcome for an interpreter outcome (`kind` as the interpreter names it), or
 * for an operator's terminate: `{ kind: 'terminated', reason: 'operator', by, note }` (`note` is
 * the operator's reason; the same shape the ops API's terminate route records).
 */
export function toCallOutcome(o: CallEndOutcome, step: string | undefined): CallOutcome {
  if (o.kind === 'terminated')
    return {
      kind: 'terminated',
      reason: 'operator',
      by: o.by,
      note: o.reason,
      rendered: `terminated by ${o.by}`,
      ...(step === undefined ? {} : { step }),
    };
  const base: CallOutcome = {
    kind: o.kind,
    rendered: renderOutcome(o),
    ...(step === undefined ? {} : { step }),
  };
  switch (o.kind) {
    case 'transferred':
    case 'redirected':
      return { ...base, target: renderTarget(o.target) };
    case 'failed':
      return { ...base, reason: o.code };
    case 'rejected':
      return { ...base, reason: o.reason };
    case 'hungUpByCaller':
      return { ...base, step: o.atStep };
    default:
      return base;
  }
}

/** Builds `finishCall`. */
export function createFinishCallActivity(deps: {
  store: Store;
  graph: Pick<GraphCallsClient, 'hangUp'>;
}): ActivityFn<'finishCall'> {
  return async (input: FinishCallInput, log): Promise<FinishCallOutput> => {
    let hungUp = false;
    if (input.hangUp) {
      try {
        await deps.graph.hangUp(input.callId);
        hungUp = true;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        log?.(`hang up failed: ${err.code}`);
      }
    }
    const outcome = toCallOutcome(input.outcome, input.step);
    await deps.store.calls.mutate(input.callId, () => ({
      outcome,
      endedAt: input.endedAt,
      status: 'ended',
      ...(input.collected === undefined || Object.keys(input.collected).length === 0
        ? {}
        : { collected: input.collected }),
    }));
    await appendQuietly(
      deps.store,
      [
        ...transitionEvents(input.callId, input.transitions),
        {
          callId: input.callId,
          at: input.endedAt,
          kind: 'outcome',
          data: { ...outcome, hungUpByBot: hungUp },
        },
      ],
      log,
    );
    return { hungUp };
  };
}

registerActivity('finishCall', (s) => createFinishCallActivity(s));
