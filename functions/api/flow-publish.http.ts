/**
 * Flows API, publishing: `POST /api/flows/{flowId}/publish` and `POST /api/flows/{flowId}/rollback`
 * (functions/api/README.md). Permission `flows.publish`.
 *
 * Publishing takes the saved draft, refuses it while the validator reports errors or a flow test
 * fails (422 with the problems / the test report), then creates the next immutable version and
 * makes it live. Rolling back moves the live pointer to an earlier version. Both record who.
 */
import { checkPublishable, readFlowSource } from '../../shared/api/flow-ops.js';
import { AppError } from '../../shared/errors/app-error.js';
import { isStoreError, StoreErrorCode } from '../../shared/store/index.js';
import { preconditionFailed } from './flow-drafts.http.js';
import { flowIdParam, versionNumber } from './flows.http.js';
import { apiRoute, badRequest, ifMatch, json, notFound, optionalString, readJsonObject } from './http.js';

apiRoute('flowsPublish', {
  methods: ['POST'],
  route: 'flows/{flowId}/publish',
  permission: 'flows.publish',
  handler: async ({ req, services, principal }) => {
    const flowId = flowIdParam(req);
    const etag = ifMatch(req);
    const body = await readJsonObject(req);
    const reason = optionalString(body, 'reason');
    const flows = services.store.flows;
    const draft = await flows.getDraft(flowId);
    if (!draft) throw notFound('draft', flowId);
    if (etag !== undefined && etag !== draft.etag)
      throw preconditionFailed(
        `the draft of "${flowId}" changed since you reviewed it; nothing was published: review it again`,
      );
    const read = readFlowSource(flowId, draft.source);
    const { tests } = checkPublishable(read);
    const version = await flows.publish({
      flowId,
      source: draft.source,
      document: read.document,
      by: principal.by,
      ...(reason === undefined ? {} : { reason }),
    });
    const pointer = await flows.getPointer(flowId);
    return json(201, { version, pointer: pointer ?? null, tests });
  },
});

apiRoute('flowsRollback', {
  methods: ['POST'],
  route: 'flows/{flowId}/rollback',
  permission: 'flows.publish',
  handler: async ({ req, services, principal }) => {
    const flowId = flowIdParam(req);
    const etag = ifMatch(req);
    const body = await readJsonObject(req);
    const raw = body.toVersion;
    if (typeof raw !== 'number' && typeof raw !== 'string')
      throw badRequest('body', 'toVersion', 'is required');
    const toVersion = versionNumber(String(raw), 'body', 'toVersion');
    const reason = optionalString(body, 'reason');
    const flows = services.store.flows;
    const pointer = await flows.getPointer(flowId);
    if (!pointer) throw notFound('published flow', flowId);
    if (toVersion >= pointer.liveVersion)
      throw new AppError(
        'API.CONFLICT',
        `version ${toVersion} is not earlier than the live version ${pointer.liveVersion}; roll back to an earlier one (or publish)`,
        { metadata: { liveVersion: pointer.liveVersion, toVersion } },
      );
    try {
      const moved = await flows.rollback({
        flowId,
        toVersion,
        by: principal.by,
        ...(reason === undefined ? {} : { reason }),
        ...(etag === undefined ? {} : { etag }),
      });
      return json(200, { pointer: moved });
    } catch (err) {
      if (isStoreError(err, StoreErrorCode.NotFound)) throw notFound('version', `${flowId}@${toVersion}`);
      if (isStoreError(err, StoreErrorCode.Conflict))
        throw preconditionFailed(
          `the live version of "${flowId}" moved since you read it; nothing was rolled back`,
        );
      throw err;
    }
  },
});
