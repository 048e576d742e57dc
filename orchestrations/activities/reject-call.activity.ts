/**
 * Activity `rejectCall`: Graph reject (call-reject, well inside Graph's 15 s ringing limit), then
 * the outcome `rejected` recorded on the call record and its timeline. Graph errors are values
 * (`ok: false`); a store failure after a successful reject is logged, not thrown (a retry would
 * reject twice).
 */
import { AppError } from '../../shared/errors/app-error.js';
import type { GraphCallsClient } from '../../shared/graph/calls-client.js';
import type { Store } from '../../shared/store/index.js';
import type { RejectCallInput, RejectCallOutput } from '../activity-contracts.js';
import { registerActivity, type ActivityFn } from './register.js';
import { appendQuietly } from './timeline.js';

/** Builds `rejectCall`. */
export function createRejectCallActivity(deps: {
  store: Store;
  graph: Pick<GraphCallsClient, 'reject'>;
}): ActivityFn<'rejectCall'> {
  return async (input: RejectCallInput, log): Promise<RejectCallOutput> => {
    const started = Date.now();
    let result: RejectCallOutput = { ok: true };
    try {
      await deps.graph.reject(input.callId, { reason: input.reason });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      result = { ok: false, code: err.code };
    }
    const durationMs = Date.now() - started;
    const outcome = { kind: 'rejected', reason: input.because };
    await Promise.all([
      deps.store.calls
        .mutate(input.callId, () => ({ outcome, endedAt: input.at, status: 'ended' }))
        .catch((err: unknown) => log?.(`call record update failed: ${String(err)}`)),
      appendQuietly(
        deps.store,
        [
          {
            callId: input.callId,
            at: new Date(started).toISOString(),
            kind: 'graphRequest',
            durationMs,
            data: {
              request: 'reject',
              reason: input.reason,
              ok: result.ok,
              ...(result.code ? { code: result.code } : {}),
            },
          },
          { callId: input.callId, at: input.at, kind: 'outcome', data: { ...outcome } },
        ],
        log,
      ),
    ]);
    return result;
  };
}

registerActivity('rejectCall', (s) => createRejectCallActivity(s));
