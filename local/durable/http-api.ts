/**
 * The Durable Functions HTTP API of the local task hub, framework-neutral (see
 * ../host-contract.ts). Serves the routes `DurableClient` calls below its binding's `rpcBaseUrl`
 * (`/durabletask/`) and the same operations on the public webhook paths Azure serves
 * (`/runtime/webhooks/durabletask/`), following the extension's `HttpApiHandler` and the contract
 * recorded in ../../../shared/notes/local-runtime.md Q3: 202 + `Location` + HttpManagementPayload
 * on start, 202 (running) / 200 (terminal) on status with `input` and `output` always present and
 * the history under both `historyEvents` (the extension's name) and `history` (what the JS client
 * reads), `x-ms-continuation-token` paging on lists, 410 for messages to terminal instances.
 */
import { AppError, ensureError } from '../../shared/errors/app-error.js';
import type { LocalHttpRequest, LocalHttpResponse } from '../host-contract.js';
import { EventType, EventTypeName, type HistoryEvent } from './history.js';
import type { InstanceFilter, InstanceRecord, RuntimeStatus } from './store.js';
import { TERMINAL_STATUSES } from './store.js';
import { parseRuntimeStatus, type TaskHub } from './task-hub.js';

/** Public webhook path prefix, as on Azure. */
export const PUBLIC_PREFIX = '/runtime/webhooks/durabletask';
/** RPC path prefix (`rpcBaseUrl` = origin + this). */
export const RPC_PREFIX = '/durabletask/';
/** Default page size of instance lists (the client follows `x-ms-continuation-token`). */
const DEFAULT_PAGE = 100;
/** Largest page a list request gets, whatever its `top` (keeps one response bounded). */
const MAX_PAGE = 1000;

const HTTP_STATUS_BY_CODE: Record<string, number> = {
  'DURABLE.INSTANCE_NOT_FOUND': 404,
  'DURABLE.INSTANCE_EXISTS': 409,
  'DURABLE.ORCHESTRATOR_NOT_FOUND': 400,
  'DURABLE.BAD_REQUEST': 400,
  'DURABLE.PRECONDITION_FAILED': 412,
  'DURABLE.NOT_STARTED': 503,
};

function stripMs(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseJson(text: string | null | undefined): unknown {
  if (text == null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function managementQuery(hub: TaskHub): string {
  return `taskHub=${encodeURIComponent(hub.hubName)}&connection=Storage`;
}

/** The HttpManagementPayload of an instance (URLs under `${origin}/runtime/webhooks/durabletask`). */
export function managementPayload(hub: TaskHub, origin: string, instanceId: string): Record<string, string> {
  const base = `${origin}${PUBLIC_PREFIX}/instances/${encodeURIComponent(instanceId)}`;
  const q = managementQuery(hub);
  return {
    id: instanceId,
    purgeHistoryDeleteUri: `${base}?${q}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${q}`,
    statusQueryGetUri: `${base}?${q}`,
    terminatePostUri: `${base}/terminate?reason={text}&${q}`,
    suspendPostUri: `${base}/suspend?reason={text}&${q}`,
    resumePostUri: `${base}/resume?reason={text}&${q}`,
    rewindPostUri: `${base}/rewind?reason={text}&${q}`,
    restartPostUri: `${base}/restart?${q}`,
  };
}

/**
 * The `durableClient` input-binding payload (notes Q3) for a host reachable at `origin`
 * (e.g. `http://127.0.0.1:7071`), as JSON text. `rpcBaseUrl` ends with `/`.
 */
export function clientBindingData(hub: TaskHub, origin: string): string {
  const pub = `${origin}${PUBLIC_PREFIX}`;
  const q = managementQuery(hub);
  const m = managementPayload(hub, origin, 'INSTANCEID');
  return JSON.stringify({
    taskHubName: hub.hubName,
    creationUrls: {
      createNewInstancePostUri: `${pub}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${pub}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: { ...m, id: 'INSTANCEID' },
    baseUrl: pub,
    requiredQueryStringParameters: q,
    rpcBaseUrl: `${origin}${RPC_PREFIX}`,
    httpBaseUrl: '',
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  });
}

/**
 * Renders history as the extension's status API does: scheduling and episode bookkeeping events
 * left out, completions carrying the `FunctionName` and `ScheduledTime` of what they complete,
 * `EventType` as a name. Results and inputs only with `showHistoryOutput`.
 */
export function renderHistory(history: HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    const base: Record<string, unknown> = {
      EventType: EventTypeName[e.EventType] ?? String(e.EventType),
      Timestamp: e.Timestamp,
    };
    switch (e.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(e.EventId, e);
        break;
      case EventType.ExecutionStarted:
        out.push({ ...base, FunctionName: e.Name, ...(showOutput ? { Input: parseJson(e.Input) } : {}) });
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = scheduled.get(e.TaskScheduledId ?? -1);
        const failed =
          e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed;
        out.push({
          ...base,
          FunctionName: s?.Name,
          ScheduledTime: s?.Timestamp,
          ...(s?.InstanceId ? { InstanceId: s.InstanceId } : {}),
          ...(failed
            ? { Reason: e.Reason, Details: e.Details }
            : showOutput
              ? { Result: parseJson(e.Result) }
              : {}),
        });
        break;
      }
      case EventType.TimerFired:
        out.push({ ...base, FireAt: e.FireAt });
        break;
      case EventType.EventRaised:
        out.push({ ...base, Name: e.Name, ...(showOutput ? { Input: parseJson(e.Input) } : {}) });
        break;
      case EventType.ExecutionCompleted:
        out.push({
          ...base,
          OrchestrationStatus: e.OrchestrationStatus,
          ...(showOutput ? { Result: parseJson(e.Result) } : {}),
        });
        break;
      case EventType.ExecutionTerminated:
        out.push({ ...base, Input: parseJson(e.Input) });
        break;
      case EventType.ExecutionSuspended:
      case EventType.ExecutionResumed:
        out.push({ ...base, Reason: e.Reason });
        break;
      default:
        break;
    }
  }
  return out;
}

/** The status body of one instance (`DurableOrchestrationStatus` wire shape). */
export function statusBody(
  inst: InstanceRecord,
  opts: { showInput: boolean; history?: HistoryEvent[] | undefined; showHistoryOutput?: boolean },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: inst.name,
    instanceId: inst.instanceId,
    runtimeStatus: inst.status,
    input: opts.showInput ? parseJson(inst.input) : null,
    customStatus: parseJson(inst.customStatus),
    output: parseJson(inst.output),
    createdTime: stripMs(inst.createdAt),
    lastUpdatedTime: stripMs(inst.updatedAt),
  };
  if (opts.history) {
    const rendered = renderHistory(opts.history, opts.showHistoryOutput ?? false);
    body.historyEvents = rendered;
    body.history = rendered;
  }
  return body;
}

/**
 * A paging number (`top`, the continuation token = rows to skip): `fallback` when absent or empty,
 * else a whole number >= `min`. Throws `DURABLE.BAD_REQUEST` (400), not a database error, for
 * anything else (`1e3`, `-1`, 20 digits).
 */
function pageNumber(v: string | undefined, where: string, fallback: number, min: number): number {
  if (v === undefined || v === '') return fallback;
  const n = /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw new AppError(
      'DURABLE.BAD_REQUEST',
      `The ${where} must be a whole number >= ${min}, not "${v.slice(0, 40)}".`,
    );
  return n;
}

function flag(v: string | undefined): boolean {
  return v !== undefined && v.toLowerCase() === 'true';
}

function parseTime(v: string | undefined, where: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new AppError(
      'DURABLE.BAD_REQUEST',
      `Query parameter ${where}="${v}" is not an ISO 8601 date-time.`,
    );
  return t;
}

function filterFromQuery(q: Record<string, string>): InstanceFilter {
  const filter: InstanceFilter = {};
  const from = parseTime(q.createdTimeFrom, 'createdTimeFrom');
  const to = parseTime(q.createdTimeTo, 'createdTimeTo');
  if (from !== undefined) filter.createdFrom = from;
  if (to !== undefined) filter.createdTo = to;
  if (q.runtimeStatus) {
    const statuses: RuntimeStatus[] = [];
    for (const s of q.runtimeStatus.split(',')) {
      if (s.trim() === '') continue;
      const st = parseRuntimeStatus(s);
      if (!st)
        throw new AppError(
          'DURABLE.BAD_REQUEST',
          `Query parameter runtimeStatus has an unknown status "${s}".`,
        );
      statuses.push(st);
    }
    filter.statuses = statuses;
  }
  if (q.instanceIdPrefix) filter.instanceIdPrefix = q.instanceIdPrefix;
  return filter;
}

function header(req: LocalHttpRequest, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function errorResponse(err: unknown): LocalHttpResponse {
  if (err instanceof AppError) {
    return {
      status: HTTP_STATUS_BY_CODE[err.code] ?? 400,
      headers: { 'content-type': 'application/json' },
      body: { code: err.code, message: err.message },
    };
  }
  const e = ensureError(err);
  return {
    status: 500,
    headers: { 'content-type': 'application/json' },
    body: { code: 'DURABLE.INTERNAL', message: e.message },
  };
}

/**
 * Handles one request below either mount. `req.path` is relative to the mount (`instances/abc`,
 * `orchestrators/Name/id`); `origin` builds absolute URLs (e.g. `http://127.0.0.1:7071`).
 * Never throws: errors become JSON bodies `{code, message}` with the extension's status codes.
 */
export async function handleDurableHttp(
  hub: TaskHub,
  mount: 'rpc' | 'public',
  req: LocalHttpRequest,
  origin: string,
): Promise<LocalHttpResponse> {
  try {
    return await route(hub, mount, req, origin);
  } catch (err) {
    return errorResponse(err);
  }
}

async function route(
  hub: TaskHub,
  _mount: 'rpc' | 'public',
  req: LocalHttpRequest,
  origin: string,
): Promise<LocalHttpResponse> {
  const method = req.method.toUpperCase();
  const parts = req.path.replace(/^\/+/, '').split('/').map(safeDecode);
  const [head, a, b, c] = parts;
  const q = req.query;
  const notFound: LocalHttpResponse = {
    status: 404,
    body: { code: 'DURABLE.ROUTE_NOT_FOUND', message: `No Durable API route for ${method} ${req.path}` },
  };

  if (head === 'orchestrators' && method === 'POST' && a) {
    const bodyText = req.body.toString('utf8');
    const instanceId = await hub.startNew(a, {
      ...(b ? { instanceId: b } : {}),
      inputJson: bodyText,
      ...(q.version ? { version: q.version } : {}),
    });
    const payload = managementPayload(hub, origin, instanceId);
    if (q.timeout !== undefined) {
      // createAndWaitOnNewInstancePostUri: wait up to `timeout` seconds for the output.
      const seconds = Number(q.timeout);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw new AppError(
          'DURABLE.BAD_REQUEST',
          `Query parameter timeout="${q.timeout}" must be a number of seconds.`,
        );
      const inst = await hub.waitForCompletion(instanceId, seconds * 1000);
      if (TERMINAL_STATUSES.has(inst.status)) {
        return { status: 200, headers: { 'content-type': 'application/json' }, body: parseJson(inst.output) };
      }
    }
    return {
      status: 202,
      headers: {
        'content-type': 'application/json',
        location: payload.statusQueryGetUri ?? '',
        'retry-after': '10',
      },
      body: payload,
    };
  }

  if (head !== 'instances') return notFound;

  if (!a) {
    if (method === 'GET') {
      const filter = filterFromQuery(q);
      const skip = pageNumber(header(req, 'x-ms-continuation-token'), 'header x-ms-continuation-token', 0, 0);
      const top = Math.min(pageNumber(q.top, 'query parameter top', DEFAULT_PAGE, 1), MAX_PAGE);
      const rows = hub.listInstances(filter, skip, top + 1);
      const page = rows.slice(0, top);
      const showInput = flag(q.showInput);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (rows.length > top) headers['x-ms-continuation-token'] = String(skip + top);
      return { status: 200, headers, body: page.map((i) => statusBody(i, { showInput })) };
    }
    if (method === 'DELETE') {
      const filter = filterFromQuery(q);
      if (filter.createdFrom === undefined)
        throw new AppError(
          'DURABLE.BAD_REQUEST',
          'Query parameter createdTimeFrom is required to purge by filter.',
        );
      const n = hub.purgeBy(filter);
      return n === 0
        ? { status: 404, body: { instancesDeleted: 0 } }
        : { status: 200, headers: { 'content-type': 'application/json' }, body: { instancesDeleted: n } };
    }
    return notFound;
  }

  const instanceId = a;
  if (!b) {
    if (method === 'GET') {
      const showHistory = flag(q.showHistory);
      const st = hub.getStatus(instanceId, { showHistory });
      if (!st)
        return {
          status: 404,
          body: { code: 'DURABLE.INSTANCE_NOT_FOUND', message: `No instance with ID '${instanceId}' found.` },
        };
      const inst = st.instance;
      const body = statusBody(inst, {
        showInput: q.showInput === undefined ? true : flag(q.showInput),
        history: st.history,
        showHistoryOutput: flag(q.showHistoryOutput),
      });
      if (!TERMINAL_STATUSES.has(inst.status)) {
        const loc = managementPayload(hub, origin, instanceId).statusQueryGetUri ?? '';
        return {
          status: 202,
          headers: { 'content-type': 'application/json', location: loc, 'retry-after': '5' },
          body,
        };
      }
      const status = inst.status === 'Failed' && flag(q.returnInternalServerErrorOnFailure) ? 500 : 200;
      return { status, headers: { 'content-type': 'application/json' }, body };
    }
    if (method === 'DELETE') {
      const n = hub.purge(instanceId);
      return n === 0
        ? { status: 404, body: { instancesDeleted: 0 } }
        : { status: 200, headers: { 'content-type': 'application/json' }, body: { instancesDeleted: n } };
    }
    return notFound;
  }

  if (method !== 'POST') return notFound;
  const reason = q.reason ?? '';
  const accepted = (outcome: 'accepted' | 'gone'): LocalHttpResponse =>
    outcome === 'accepted'
      ? { status: 202 }
      : {
          status: 410,
          body: {
            code: 'DURABLE.INSTANCE_TERMINAL',
            message: `Instance '${instanceId}' is in a terminal state.`,
          },
        };
  switch (b) {
    case 'raiseEvent': {
      if (!c) return notFound;
      const ct = header(req, 'content-type') ?? '';
      const text = req.body.toString('utf8');
      if (text.trim() !== '' && !/json/i.test(ct)) {
        throw new AppError(
          'DURABLE.BAD_REQUEST',
          'Only application/json request content is supported for raiseEvent.',
        );
      }
      let data: unknown = null;
      if (text.trim() !== '') {
        try {
          data = JSON.parse(text);
        } catch {
          throw new AppError('DURABLE.BAD_REQUEST', 'The event payload is not valid JSON.');
        }
      }
      return accepted(await hub.raiseEvent(instanceId, c, data));
    }
    case 'terminate':
      return accepted(await hub.terminate(instanceId, reason));
    case 'suspend':
      return accepted(await hub.suspend(instanceId, reason));
    case 'resume':
      return accepted(await hub.resume(instanceId, reason));
    case 'rewind':
      await hub.rewind(instanceId, reason);
      return { status: 202 };
    case 'restart': {
      const newId = await hub.restart(
        instanceId,
        q.restartWithNewInstanceId === undefined ? true : flag(q.restartWithNewInstanceId),
      );
      const payload = managementPayload(hub, origin, newId);
      return {
        status: 202,
        headers: { 'content-type': 'application/json', location: payload.statusQueryGetUri ?? '' },
        body: payload,
      };
    }
    default:
      return notFound;
  }
}
