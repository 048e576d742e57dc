/**
 * Flows API, reads: `GET /api/flows`, `GET /api/flows/{flowId}`, `GET /api/flows/{flowId}/versions`,
 * `GET /api/flows/{flowId}/versions/{version}`, `GET /api/flows/{flowId}/diff?from=&to=`
 * (functions/api/README.md). Permission `flows.read`.
 */
import type { HttpRequest } from '@azure/functions';
import { readFlowSource, unifiedDiff, FLOW_ID } from '../../shared/api/flow-ops.js';
import type { FlowVersion, Store } from '../../shared/store/index.js';
import { apiRoute, badRequest, json, notFound, param } from './http.js';

/** The `{flowId}` route parameter, checked against the flow id pattern (`API.BAD_REQUEST`). */
export function flowIdParam(req: HttpRequest): string {
  const flowId = param(req, 'flowId');
  if (!FLOW_ID.test(flowId))
    throw badRequest(
      'path',
      'flowId',
      'must be lowercase letters, digits and "-" (at most 64), like contoso-main',
    );
  return flowId;
}

/** A version's list entry. */
function summary(v: FlowVersion, live: number | undefined): Record<string, unknown> {
  return {
    version: v.version,
    publishedBy: v.publishedBy,
    publishedAt: v.publishedAt,
    live: v.version === live,
  };
}

apiRoute('flowsList', {
  methods: ['GET'],
  route: 'flows',
  permission: 'flows.read',
  handler: async ({ services }) => json(200, { items: await services.store.flows.list() }),
});

apiRoute('flowsGet', {
  methods: ['GET'],
  route: 'flows/{flowId}',
  permission: 'flows.read',
  handler: async ({ req, services }) => {
    const flowId = flowIdParam(req);
    const flows = services.store.flows;
    const [draft, pointer, versions] = await Promise.all([
      flows.getDraft(flowId),
      flows.getPointer(flowId),
      flows.listVersions(flowId),
    ]);
    if (!draft && !pointer && versions.length === 0) throw notFound('flow', flowId);
    const published = pointer ? versions.find((v) => v.version === pointer.liveVersion) : undefined;
    const problems = draft ? readFlowSource(flowId, draft.source).problems : [];
    return json(
      200,
      {
        flowId,
        draft: draft ?? null,
        published: published ?? null,
        pointer: pointer ?? null,
        versions: versions.map((v) => summary(v, pointer?.liveVersion)),
        problems,
      },
      draft ? { etag: draft.etag } : {},
    );
  },
});

apiRoute('flowsVersions', {
  methods: ['GET'],
  route: 'flows/{flowId}/versions',
  permission: 'flows.read',
  handler: async ({ req, services }) => {
    const flowId = flowIdParam(req);
    const [pointer, versions] = await Promise.all([
      services.store.flows.getPointer(flowId),
      services.store.flows.listVersions(flowId),
    ]);
    if (!pointer && versions.length === 0 && !(await services.store.flows.getDraft(flowId)))
      throw notFound('flow', flowId);
    return json(200, {
      liveVersion: pointer?.liveVersion ?? null,
      items: versions.map((v) => summary(v, pointer?.liveVersion)),
    });
  },
});

apiRoute('flowsVersion', {
  methods: ['GET'],
  route: 'flows/{flowId}/versions/{version}',
  permission: 'flows.read',
  handler: async ({ req, services }) => {
    const flowId = flowIdParam(req);
    const version = versionNumber(param(req, 'version'), 'path', 'version');
    const v = await services.store.flows.getVersion(flowId, version);
    if (!v) throw notFound('version', `${flowId}@${version}`);
    return json(200, v);
  },
});

apiRoute('flowsDiff', {
  methods: ['GET'],
  route: 'flows/{flowId}/diff',
  permission: 'flows.read',
  handler: async ({ req, services }) => {
    const flowId = flowIdParam(req);
    const from = req.query.get('from') ?? 'live';
    const to = req.query.get('to') ?? 'draft';
    const [a, b] = await Promise.all([
      textOf(services.store, flowId, from, 'from'),
      textOf(services.store, flowId, to, 'to'),
    ]);
    return json(200, {
      flowId,
      from: a.ref,
      to: b.ref,
      diff: unifiedDiff(
        { label: `${flowId}@${a.ref}`, text: a.text },
        { label: `${flowId}@${b.ref}`, text: b.text },
      ),
    });
  },
});

/** A positive integer version (`API.BAD_REQUEST` naming where otherwise). */
export function versionNumber(raw: string, where: 'path' | 'query' | 'body', field: string): number {
  const n = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1) throw badRequest(where, field, 'must be a version number (1, 2, 3…)');
  return n;
}

/** The text at `ref` (`draft`, `live`, or a version number), with the ref resolved (`live` → its number). */
async function textOf(
  store: Store,
  flowId: string,
  ref: string,
  field: 'from' | 'to',
): Promise<{ ref: string | number; text: string }> {
  if (ref === 'draft') {
    const d = await store.flows.getDraft(flowId);
    if (!d) throw notFound('draft', flowId);
    return { ref: 'draft', text: d.source };
  }
  if (ref === 'live') {
    const v = await store.flows.getPublished(flowId);
    if (!v) throw notFound('published version', flowId);
    return { ref: v.version, text: v.source };
  }
  if (!/^[0-9]+$/.test(ref)) throw badRequest('query', field, 'must be a version number, "live" or "draft"');
  const n = versionNumber(ref, 'query', field);
  const v = await store.flows.getVersion(flowId, n);
  if (!v) throw notFound('version', `${flowId}@${n}`);
  return { ref: n, text: v.source };
}
