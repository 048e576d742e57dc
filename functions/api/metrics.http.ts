/**
 * Ops API: `GET /api/metrics?flowId=&version=&from=&to=` (permission `metrics.read`): per flow and
 * version, calls, outcomes, abandonment, time to answer, and how many callers took each step and
 * branch (shared/api/metrics.ts), over the calls started in the window. Reads at most
 * {@link MAX_CALLS} calls (newest first); `truncated` says when there were more.
 */
import { computeFlowMetrics } from '../../shared/api/metrics.js';
import { FLOW_ID } from '../../shared/api/flow-ops.js';
import type { CallQuery, CallRecord, TimelineEvent } from '../../shared/store/index.js';
import { isoQuery } from './calls.http.js';
import { versionNumber } from './flows.http.js';
import { apiRoute, badRequest, json } from './http.js';

/** Calls read per metrics request. */
export const MAX_CALLS = 5000;
const TIMELINE_READS_IN_PARALLEL = 8;

apiRoute('metricsGet', {
  methods: ['GET'],
  route: 'metrics',
  permission: 'metrics.read',
  handler: async ({ req, services }) => {
    const q: CallQuery = { limit: 200 };
    const flowId = req.query.get('flowId') || undefined;
    if (flowId !== undefined) {
      if (!FLOW_ID.test(flowId)) throw badRequest('query', 'flowId', 'is not a flow id');
      q.flowId = flowId;
    }
    const versionRaw = req.query.get('version') || undefined;
    if (versionRaw !== undefined && flowId === undefined)
      throw badRequest('query', 'version', 'needs flowId');
    const version = versionRaw === undefined ? undefined : versionNumber(versionRaw, 'query', 'version');
    const from = isoQuery(req, 'from');
    const to = isoQuery(req, 'to');
    if (from !== undefined) q.startedFrom = from;
    if (to !== undefined) q.startedBefore = to;

    const calls: CallRecord[] = [];
    let truncated = false;
    for (;;) {
      const page = await services.store.calls.list(q);
      for (const c of page.items) if (version === undefined || c.flowVersion === version) calls.push(c);
      if (page.continuation === undefined) break;
      if (calls.length >= MAX_CALLS) {
        truncated = true;
        break;
      }
      q.continuation = page.continuation;
    }
    const counted = calls.slice(0, MAX_CALLS);
    truncated ||= calls.length > MAX_CALLS;
    const timelines = new Map<string, TimelineEvent[]>();
    for (let i = 0; i < counted.length; i += TIMELINE_READS_IN_PARALLEL) {
      const batch = counted.slice(i, i + TIMELINE_READS_IN_PARALLEL).filter((c) => c.flowId !== undefined);
      const lists = await Promise.all(batch.map((c) => services.store.timelines.list(c.callId)));
      batch.forEach((c, j) => timelines.set(c.callId, lists[j] ?? []));
    }
    return json(200, {
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      items: computeFlowMetrics(counted, timelines),
      truncated,
    });
  },
});
