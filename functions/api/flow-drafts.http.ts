/**
 * Flows API, editing: `PUT|DELETE /api/flows/{flowId}/draft`, `POST /api/flows/{flowId}/validate`,
 * `POST /api/flows/{flowId}/test` (functions/api/README.md). Permission `flows.edit`.
 *
 * A draft is saved even with validation errors (analysts save work in progress); the answer lists
 * the problems. Saves use optimistic concurrency: `If-Match` carries the draft's ETag; a stale or
 * missing one when a draft exists answers 412 and overwrites nothing.
 */
import type { HttpRequest } from '@azure/functions';
import { readFlowSource, requireValid, runFlowTests } from '../../shared/api/flow-ops.js';
import { AppError } from '../../shared/errors/app-error.js';
import { isStoreError, StoreErrorCode, type Store } from '../../shared/store/index.js';
import { flowIdParam } from './flows.http.js';
import { apiRoute, ifMatch, json, notFound } from './http.js';

/** `API.PRECONDITION_FAILED` with a message that says what to do. */
export function preconditionFailed(message: string): AppError {
  return new AppError('API.PRECONDITION_FAILED', message, { metadata: { reread: true } });
}

/** The request body text, or the saved draft's source when the body is empty (`API.NOT_FOUND` without a draft). */
async function sourceOrDraft(req: HttpRequest, store: Store, flowId: string): Promise<string> {
  const text = await req.text();
  if (text.trim() !== '') return text;
  const draft = await store.flows.getDraft(flowId);
  if (!draft) throw notFound('draft', flowId);
  return draft.source;
}

apiRoute('flowsDraftSave', {
  methods: ['PUT'],
  route: 'flows/{flowId}/draft',
  permission: 'flows.edit',
  handler: async ({ req, services, principal }) => {
    const flowId = flowIdParam(req);
    const etag = ifMatch(req);
    const source = await req.text();
    const read = readFlowSource(flowId, source);
    try {
      const draft = await services.store.flows.saveDraft({
        flowId,
        source,
        document: read.document,
        by: principal.by,
        ...(etag === undefined ? {} : { etag }),
      });
      return json(
        etag === undefined ? 201 : 200,
        { draft, valid: read.valid, problems: read.problems },
        { etag: draft.etag },
      );
    } catch (err) {
      if (isStoreError(err, StoreErrorCode.Conflict))
        throw preconditionFailed(
          etag === undefined
            ? `flow "${flowId}" already has a draft: read it (GET /api/flows/${flowId}) and send its ETag in If-Match to replace it`
            : `the draft of "${flowId}" was changed by someone else since you read it; nothing was saved: read it again and reapply your change`,
        );
      if (isStoreError(err, StoreErrorCode.NotFound))
        throw preconditionFailed(
          `the draft of "${flowId}" no longer exists; save without If-Match to create it`,
        );
      throw err;
    }
  },
});

apiRoute('flowsDraftDelete', {
  methods: ['DELETE'],
  route: 'flows/{flowId}/draft',
  permission: 'flows.edit',
  handler: async ({ req, services }) => {
    const flowId = flowIdParam(req);
    const etag = ifMatch(req);
    try {
      await services.store.flows.deleteDraft(flowId, etag === undefined ? {} : { etag });
    } catch (err) {
      if (isStoreError(err, StoreErrorCode.NotFound)) throw notFound('draft', flowId);
      if (isStoreError(err, StoreErrorCode.Conflict))
        throw preconditionFailed(`the draft of "${flowId}" changed since you read it; nothing was deleted`);
      throw err;
    }
    return { status: 204 };
  },
});

apiRoute('flowsValidate', {
  methods: ['POST'],
  route: 'flows/{flowId}/validate',
  permission: 'flows.edit',
  handler: async ({ req, services }) => {
    const flowId = flowIdParam(req);
    const read = readFlowSource(flowId, await sourceOrDraft(req, services.store, flowId));
    return json(200, { valid: read.valid, problems: read.problems });
  },
});

apiRoute('flowsTest', {
  methods: ['POST'],
  route: 'flows/{flowId}/test',
  permission: 'flows.edit',
  handler: async ({ req, services }) => {
    const flowId = flowIdParam(req);
    const read = readFlowSource(flowId, await sourceOrDraft(req, services.store, flowId));
    return json(200, runFlowTests(requireValid(read)));
  },
});
