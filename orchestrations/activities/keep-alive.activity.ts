/**
 * Activity `keepAlive` (call-keepalive): Graph ends calls that see none for 45 minutes. A 404
 * means the call is gone (`gone: true`); other Graph errors are values; retryable faults were
 * already retried by the Graph client (keepAlive is idempotent).
 */
import { AppError } from '../../shared/errors/app-error.js';
import { GraphError } from '../../shared/graph/errors.js';
import type { GraphCallsClient } from '../../shared/graph/calls-client.js';
import type { KeepAliveInput, KeepAliveOutput } from '../activity-contracts.js';
import { registerActivity, type ActivityFn } from './register.js';

/** Builds `keepAlive`. */
export function createKeepAliveActivity(deps: {
  graph: Pick<GraphCallsClient, 'keepAlive'>;
}): ActivityFn<'keepAlive'> {
  return async (input: KeepAliveInput): Promise<KeepAliveOutput> => {
    try {
      await deps.graph.keepAlive(input.callId);
      return { ok: true, gone: false };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { ok: false, gone: err instanceof GraphError && err.status === 404 };
    }
  };
}

registerActivity('keepAlive', (s) => createKeepAliveActivity(s));
