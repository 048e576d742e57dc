/**
 * Ops API: `POST /api/calls/{callId}/terminate` (permission `calls.terminate`, the Operator role).
 * Ends an active call: hangs it up through Graph (`DELETE /communications/calls/{id}`), terminates
 * its call orchestration through the Durable client (until the call orchestration handles a
 * `terminate` external event itself), then marks the record ended with outcome `terminated`
 * (`reason: 'operator'`, `by`) and adds an `operator` event to the call's timeline naming who.
 */
import { AppError } from '../../shared/errors/app-error.js';
import { apiRoute, json, notFound, optionalString, param, readJsonObject } from './http.js';

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
    try {
      await services.graph.hangUp(callId);
    } catch (err) {
      // Graph no longer knows the call (it ended as we asked): finish the bookkeeping anyway.
      if (!(err instanceof AppError && err.code === 'GRAPH.NOT_FOUND')) throw err;
    }
    const client = durable();
    try {
      await client.terminate(callId, encodeURIComponent(`${reason} (by ${principal.by})`));
    } catch (err) {
      // No instance (the call never reached its orchestration) is fine: the Graph call is gone.
      if (!(err instanceof Error && /no instance/i.test(err.message))) throw err;
    }
    const at = new Date().toISOString();
    await services.store.calls.mutate(callId, (cur) =>
      cur.status === 'active'
        ? {
            status: 'ended',
            endedAt: at,
            outcome: { kind: 'terminated', reason: 'operator', by: principal.by },
          }
        : {},
    );
    await services.store.timelines.append({
      callId,
      at,
      kind: 'operator',
      data: { action: 'terminate', by: principal.by, reason },
    });
    return json(202, { callId, terminatedBy: principal.by, terminatedAt: at, via: 'durableTerminate' });
  },
});
