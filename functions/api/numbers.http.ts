/**
 * Numbers API: `GET /api/numbers` (`numbers.read`), `PUT|DELETE /api/numbers/{number}`
 * (`numbers.write`): which E.164 number answers with which flow. A number is bound only to a flow
 * with a published version (a call pins the live version at start). Every change records who.
 */
import type { HttpRequest } from '@azure/functions';
import { FLOW_ID } from '../../shared/api/flow-ops.js';
import { AppError } from '../../shared/errors/app-error.js';
import { isStoreError, StoreErrorCode } from '../../shared/store/index.js';
import { apiRoute, badRequest, json, notFound, param, readJsonObject } from './http.js';

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** The `{number}` parameter in E.164 (a leading space is read as `+`, as a form-encoded `+` arrives). */
function numberParam(req: HttpRequest): string {
  const raw = param(req, 'number');
  const n = raw.startsWith(' ') ? `+${raw.slice(1)}` : raw;
  if (!E164.test(n))
    throw badRequest('path', 'number', 'must be an E.164 number like +14255550100 (send + as %2B)');
  return n;
}

apiRoute('numbersList', {
  methods: ['GET'],
  route: 'numbers',
  permission: 'numbers.read',
  handler: async ({ req, services }) => {
    const flowId = req.query.get('flowId') ?? undefined;
    if (flowId !== undefined && !FLOW_ID.test(flowId))
      throw badRequest('query', 'flowId', 'is not a flow id');
    return json(200, { items: await services.store.numbers.list(flowId === undefined ? {} : { flowId }) });
  },
});

apiRoute('numbersBind', {
  methods: ['PUT'],
  route: 'numbers/{number}',
  permission: 'numbers.write',
  handler: async ({ req, services, principal }) => {
    const number = numberParam(req);
    const body = await readJsonObject(req);
    const flowId = body.flowId;
    if (typeof flowId !== 'string' || !FLOW_ID.test(flowId))
      throw badRequest('body', 'flowId', 'must be the id of a flow, like contoso-main');
    const published = await services.store.flows.getPointer(flowId);
    if (!published) {
      const draft = await services.store.flows.getDraft(flowId);
      if (!draft) throw notFound('flow', flowId);
      throw new AppError(
        'API.CONFLICT',
        `flow "${flowId}" has never been published; publish it before binding a number (calls need a live version)`,
        { metadata: { flowId } },
      );
    }
    return json(200, await services.store.numbers.bind({ number, flowId, by: principal.by }));
  },
});

apiRoute('numbersUnbind', {
  methods: ['DELETE'],
  route: 'numbers/{number}',
  permission: 'numbers.write',
  handler: async ({ req, services, principal }) => {
    const number = numberParam(req);
    try {
      await services.store.numbers.unbind({ number, by: principal.by });
    } catch (err) {
      if (isStoreError(err, StoreErrorCode.NotFound)) throw notFound('number', number);
      throw err;
    }
    return { status: 204 };
  },
});
