/**
 * Test calls from the web console, local only: the API drives the Graph simulator's control API
 * (`/sim/*` on the origin of `GRAPH_BASE_URL`, local/graph-sim/README.md) as a caller would, so an
 * analyst can dial a bound number, press keys and watch what the caller hears.
 *
 * | method | route                          | request            | success                                 |
 * | ------ | ------------------------------ | ------------------ | --------------------------------------- |
 * | POST   | `/api/testcalls`               | `{to, from?}`      | `201 {callId}` (the Graph call id)      |
 * | GET    | `/api/testcalls/{callId}`      | –                  | `200 {callId, state, transcript, outcome}` |
 * | POST   | `/api/testcalls/{callId}/keys` | `{keys: "12#"}`    | `202 {callId}` (pressed now, in order)  |
 * | POST   | `/api/testcalls/{callId}/hangup` | –                | `202 {callId}` (the caller hangs up)    |
 *
 * Permission `flows.edit` (FlowEditor, FlowPublisher). Against Microsoft Graph (a non-loopback
 * `GRAPH_BASE_URL`) every route answers `404 API.NOT_FOUND`: there is no simulator to drive, and
 * production never places calls on an analyst's behalf. `transcript` items are the simulator's
 * `TranscriptEntry` (`at` = simulated ms since the call was placed): `state`, `promptStarted`
 * (`text`, `uri`, `durationMs`), `promptFinished`, `keyPressed` (`key`), `transfer`, `hangUp`…
 */
import { AppError } from '../../shared/errors/app-error.js';
import type { Services } from '../../shared/services.js';
import { apiRoute, badRequest, json, notFound, param, readJsonObject } from './http.js';

const E164 = /^\+[1-9][0-9]{6,14}$/;
const KEYS = /^[0-9*#]{1,32}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** The caller id test calls present (a reserved fictional number). */
export const TEST_CALLER = '+14255550199';

/** The simulator's origin, or `API.NOT_FOUND` when Graph is not a local simulator. */
export function simulatorOrigin(services: Pick<Services, 'config'>): string {
  const url = new URL(services.config.graph.baseUrl);
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
    throw new AppError(
      'API.NOT_FOUND',
      'test calls need the local Graph simulator (npm start); they are not available against Microsoft Graph',
      {
        metadata: { what: 'testcalls', id: 'simulator' },
      },
    );
  }
  return url.origin;
}

async function sim(
  origin: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(new URL(path, origin), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new AppError(
      'API.CONFLICT',
      'the local Graph simulator did not answer; is the local stack running?',
      { retryable: true },
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

function simFailure(status: number, json: unknown, callId?: string): AppError {
  if (status === 404 && callId !== undefined) return notFound('test call', callId);
  const message =
    (json as { error?: { message?: string } } | undefined)?.error?.message ?? `status ${status}`;
  return badRequest('body', '(test call)', `the simulator refused it: ${message}`);
}

const PICK = [
  'at',
  'type',
  'state',
  'n',
  'text',
  'uri',
  'durationMs',
  'interrupted',
  'key',
  'delivered',
  'target',
  'outcome',
  'by',
  'reason',
  'ms',
  'message',
];

/** The simulator's call snapshot reduced to what the console shows. */
export function toTestCallView(callId: string, snapshot: Record<string, unknown>): Record<string, unknown> {
  const transcript = Array.isArray(snapshot.transcript)
    ? (snapshot.transcript as Record<string, unknown>[])
    : [];
  const outcome = snapshot.outcome as { reason?: unknown } | null | undefined;
  return {
    callId,
    state: typeof snapshot.state === 'string' ? snapshot.state : 'unknown',
    transcript: transcript.map((e) =>
      Object.fromEntries(PICK.filter((k) => e[k] !== undefined).map((k) => [k, e[k]])),
    ),
    outcome: outcome && typeof outcome.reason === 'string' ? { reason: outcome.reason } : null,
  };
}

apiRoute('testCallPlace', {
  methods: ['POST'],
  route: 'testcalls',
  permission: 'flows.edit',
  handler: async ({ req, services }) => {
    const origin = simulatorOrigin(services);
    const body = await readJsonObject(req);
    const to = body.to;
    if (typeof to !== 'string' || !E164.test(to))
      throw badRequest('body', 'to', 'must be an E.164 number such as +14255550100');
    const from = body.from ?? TEST_CALLER;
    if (typeof from !== 'string' || !E164.test(from))
      throw badRequest('body', 'from', 'must be an E.164 number');
    const r = await sim(origin, 'POST', '/sim/calls', { from, to, steps: [] });
    const id = (r.json as { id?: unknown } | undefined)?.id;
    if (r.status >= 300 || typeof id !== 'string') throw simFailure(r.status, r.json);
    return json(201, { callId: id });
  },
});

apiRoute('testCallShow', {
  methods: ['GET'],
  route: 'testcalls/{callId}',
  permission: 'flows.edit',
  handler: async ({ req, services }) => {
    const origin = simulatorOrigin(services);
    const callId = param(req, 'callId');
    const r = await sim(origin, 'GET', `/sim/calls/${encodeURIComponent(callId)}`);
    if (r.status !== 200 || r.json === null || typeof r.json !== 'object')
      throw simFailure(r.status, r.json, callId);
    return json(200, toTestCallView(callId, r.json as Record<string, unknown>));
  },
});

apiRoute('testCallKeys', {
  methods: ['POST'],
  route: 'testcalls/{callId}/keys',
  permission: 'flows.edit',
  handler: async ({ req, services }) => {
    const origin = simulatorOrigin(services);
    const callId = param(req, 'callId');
    const body = await readJsonObject(req);
    if (typeof body.keys !== 'string' || !KEYS.test(body.keys))
      throw badRequest('body', 'keys', 'must be 1 to 32 keys of a phone keypad (0-9, *, #)');
    const r = await sim(origin, 'POST', `/sim/calls/${encodeURIComponent(callId)}/steps`, {
      steps: [{ type: 'press', keys: body.keys, interDigitMs: 150 }],
    });
    if (r.status >= 300) throw simFailure(r.status, r.json, callId);
    return json(202, { callId });
  },
});

apiRoute('testCallHangUp', {
  methods: ['POST'],
  route: 'testcalls/{callId}/hangup',
  permission: 'flows.edit',
  handler: async ({ req, services }) => {
    const origin = simulatorOrigin(services);
    const callId = param(req, 'callId');
    const r = await sim(origin, 'POST', `/sim/calls/${encodeURIComponent(callId)}/hangup`);
    if (r.status >= 300) throw simFailure(r.status, r.json, callId);
    return json(202, { callId });
  },
});
