/**
 * Ops API: `POST /api/calls/{callId}/terminate` (permission `calls.terminate`, the Operator role;
 * body `{ reason?: string }`). Ends an active call and records who did it.
 *
 * - The call's orchestration is running (Pending, Running, ContinuedAsNew): raises external event
 *   `terminate` (`{ by, reason }`, orchestrations/activity-contracts.ts) into it. The `call`
 *   orchestration handles it in every wait: hangs up through Graph and records outcome
 *   `{ kind: 'terminated', reason: 'operator', by, note }` through its normal `finishCall`, so the
 *   instance completes with that outcome. The route waits up to {@link TERMINATE_WAIT_MS} for the
 *   record to show the end and answers `202` with `via: 'terminateEvent'`.
 * - No running instance (the call never reached its orchestration, or the instance is suspended or
 *   over while the record still says active), or the orchestration did not end the call within
 *   {@link TERMINATE_WAIT_MS} (it is stuck): the direct path hangs up through Graph
 *   (`DELETE /communications/calls/{id}`), terminates the instance through the Durable client,
 *   marks the record ended with the same outcome, and answers `202` with `via: 'durableTerminate'`.
 *
 * Either way an `operator` event naming who and why is added to the call's timeline. Errors: 404
 * `API.NOT_FOUND` (no such call), 409 `API.CONFLICT` (the call has ended), Graph failures of the
 * direct hang-up as the API's Graph error mapping (502 `GRAPH.*`).
 */
import type { DurableClient } from 'durable-functions';

import { TERMINATE_EVENT, type TerminateEventData } from '../../orchestrations/activity-contracts.js';
import { AppError } from '../../shared/errors/app-error.js';
import type { Store } from '../../shared/store/index.js';
import { apiRoute, json, notFound, optionalString, param, readJsonObject } from './http.js';

/** How long (real ms) the route waits for the orchestration to end the call before the direct path. */
export const TERMINATE_WAIT_MS = 3000;

/** Instance states in which the orchestration will still receive the `terminate` event. */
const RECEIVING = new Set(['Pending', 'Running', 'ContinuedAsNew']);

async function receivesEvents(client: DurableClient, callId: string): Promise<boolean> {
  try {
    const status = await client.getStatus(callId, { showHistory: false, showInput: false });
    return RECEIVING.has(String(status.runtimeStatus));
  } catch {
    // No instance (404) or the status could not be read: the direct path handles the call.
    return false;
  }
}

/** The record's end time once it shows `ended`, or undefined after `timeoutMs`. */
async function endedWithin(store: Store, callId: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const call = await store.calls.get(callId);
    if (call?.status === 'ended') return call.endedAt ?? new Date().toISOString();
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

apiRoute('callsTerminate', {
  methods: ['POST'],
  route: 'calls/{callId}/terminate',
  permission: 'calls.terminate',
  durableClient: true,
  handler: async ({ req, services, principal, durable }) => {
    const callId = param(req, 'callId');
    const body = await readJsonObject(req);
    const reason = optionalString(body, 'reason') ?? 'terminated by an operator';
    const call = await services.store.calls.get(callId);
    if (!call) throw notFound('call', callId);
    if (call.status !== 'active')
      throw new AppError('API.CONFLICT', `call "${callId}" is not active (it has ended)`, {
        metadata: { callId, status: call.status },
      });
    const client = durable();
    const operatorEvent = (at: string) =>
      services.store.timelines.append({
        callId,
        at,
        kind: 'operator',
        data: { action: 'terminate', by: principal.by, reason },
      });

    if (await receivesEvents(client, callId)) {
      const data: TerminateEventData = { by: principal.by, reason };
      await client.raiseEvent(callId, TERMINATE_EVENT, data);
      const endedAt = await endedWithin(services.store, callId, TERMINATE_WAIT_MS);
      if (endedAt !== undefined) {
        await operatorEvent(new Date().toISOString());
        return json(202, {
          callId,
          terminatedBy: principal.by,
          terminatedAt: endedAt,
          via: 'terminateEvent',
        });
      }
      // The orchestration did not end the call in time (stuck in an activity?): end it directly.
    }

    try {
      await services.graph.hangUp(callId);
    } catch (err) {
      // Graph no longer knows the call (it ended as we asked): finish the bookkeeping anyway.
      if (!(err instanceof AppError && err.code === 'GRAPH.NOT_FOUND')) throw err;
    }
    try {
      await client.terminate(callId, encodeURIComponent(`${reason} (by ${principal.by})`));
    } catch (err) {
      // No instance (the call never reached its orchestration), or it is over: the Graph call is gone.
      if (!(err instanceof Error && /no instance|not found|410|gone/i.test(err.message))) throw err;
    }
    const at = new Date().toISOString();
    await services.store.calls.mutate(callId, (cur) =>
      cur.status === 'active'
        ? {
            status: 'ended',
            endedAt: at,
            outcome: { kind: 'terminated', reason: 'operator', by: principal.by, note: reason },
          }
        : {},
    );
    await operatorEvent(at);
    return json(202, { callId, terminatedBy: principal.by, terminatedAt: at, via: 'durableTerminate' });
  },
});
