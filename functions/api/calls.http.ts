/**
 * Ops API, reads: `GET /api/calls` (filters + continuation paging) and `GET /api/calls/{callId}`
 * (record, timeline and the call orchestration's status and history from the Durable client:
 * `getStatus(id, { showHistory, showHistoryOutput })`, instance id = the Graph call id).
 * Permission `calls.read`.
 */
import type { HttpRequest } from '@azure/functions';
import type * as df from 'durable-functions';
import type { CallQuery } from '../../shared/store/index.js';
import { apiRoute, badRequest, json, notFound, param } from './http.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO time query parameter, normalised to UTC with milliseconds (`API.BAD_REQUEST` otherwise). */
export function isoQuery(req: HttpRequest, name: string): string | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') return undefined;
  const ms = ISO.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms))
    throw badRequest(
      'query',
      name,
      'must be an ISO-8601 time like 2026-11-20T09:00:00Z (or a date 2026-11-20)',
    );
  return new Date(ms).toISOString();
}

/** A short free-text query parameter (ids, numbers, outcome kinds). */
function textQuery(req: HttpRequest, name: string, max = 100): string | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') return undefined;
  if (v.length > max || /\p{Cc}/u.test(v))
    throw badRequest('query', name, `must be at most ${max} plain characters`);
  return v;
}

/** The call filters of `GET /api/calls` as a store query. */
export function callQuery(req: HttpRequest): CallQuery {
  const q: CallQuery = {};
  const from = isoQuery(req, 'from');
  const to = isoQuery(req, 'to');
  if (from !== undefined) q.startedFrom = from;
  if (to !== undefined) q.startedBefore = to;
  if (from !== undefined && to !== undefined && from >= to)
    throw badRequest('query', 'to', 'must be after from');
  const number = textQuery(req, 'number', 64);
  if (number !== undefined) q.number = number.startsWith(' ') ? `+${number.slice(1)}` : number;
  const flowId = textQuery(req, 'flowId');
  if (flowId !== undefined) q.flowId = flowId;
  const outcome = textQuery(req, 'outcome');
  if (outcome !== undefined) q.outcomeKind = outcome;
  const active = req.query.get('active');
  if (active !== null && active !== '') {
    if (active !== 'true' && active !== 'false') throw badRequest('query', 'active', 'must be true or false');
    if (active === 'true') q.activeOnly = true;
  }
  const limit = req.query.get('limit');
  if (limit !== null && limit !== '') {
    const n = /^[0-9]{1,3}$/.test(limit) ? Number(limit) : NaN;
    if (!(n >= 1 && n <= 200)) throw badRequest('query', 'limit', 'must be a whole number from 1 to 200');
    q.limit = n;
  }
  const continuation = textQuery(req, 'continuation', 4000);
  if (continuation !== undefined) q.continuation = continuation;
  return q;
}

apiRoute('callsList', {
  methods: ['GET'],
  route: 'calls',
  permission: 'calls.read',
  handler: async ({ req, services }) => json(200, await services.store.calls.list(callQuery(req))),
});

/** What the detail shows of the call orchestration (its input is left out: it holds the caller's number). */
export interface OrchestrationView {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  customStatus?: unknown;
  createdTime?: string;
  lastUpdatedTime?: string;
  output?: unknown;
  history?: unknown[];
}

/**
 * The orchestration's status (and history when asked), or null when the task hub has no such
 * instance (the DurableClient rejects with an HTTP 404 message then).
 */
export async function orchestrationOf(
  client: df.DurableClient,
  instanceId: string,
  withHistory: boolean,
): Promise<OrchestrationView | null> {
  let s: df.DurableOrchestrationStatus;
  try {
    s = await client.getStatus(instanceId, {
      showHistory: withHistory,
      showHistoryOutput: withHistory,
      showInput: false,
    });
  } catch (err) {
    if (err instanceof Error && /\b404\b/.test(err.message)) return null;
    throw err;
  }
  const iso = (d: unknown): string | undefined =>
    d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : typeof d === 'string' ? d : undefined;
  const createdTime = iso(s.createdTime);
  const lastUpdatedTime = iso(s.lastUpdatedTime);
  return {
    instanceId: s.instanceId || instanceId,
    name: s.name,
    runtimeStatus: String(s.runtimeStatus),
    ...(s.customStatus === undefined || s.customStatus === null ? {} : { customStatus: s.customStatus }),
    ...(createdTime === undefined ? {} : { createdTime }),
    ...(lastUpdatedTime === undefined ? {} : { lastUpdatedTime }),
    ...(s.output === undefined || s.output === null ? {} : { output: s.output }),
    ...(withHistory ? { history: s.history ?? [] } : {}),
  };
}

apiRoute('callsGet', {
  methods: ['GET'],
  route: 'calls/{callId}',
  permission: 'calls.read',
  durableClient: true,
  handler: async ({ req, services, durable }) => {
    const callId = param(req, 'callId');
    const history = req.query.get('history');
    if (history !== null && history !== 'true' && history !== 'false')
      throw badRequest('query', 'history', 'must be true or false');
    const call = await services.store.calls.get(callId);
    if (!call) throw notFound('call', callId);
    const [timeline, orchestration] = await Promise.all([
      services.store.timelines.list(callId),
      orchestrationOf(durable(), callId, history !== 'false'),
    ]);
    return json(200, { call, timeline, orchestration });
  },
});
