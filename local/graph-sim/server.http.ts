/**
 * The Graph simulator's HTTP face (fastify), four route sets on one loopback port:
 * - Graph calls API under `/v1.0/communications/calls/...` (bearer token required on every request);
 * - Entra ID for MSAL: `POST /{tenant}/oauth2/v2.0/token`, `GET /{tenant}/v2.0/.well-known/openid-configuration`,
 *   `GET /{tenant}/discovery/v2.0/keys`;
 * - the notification signer's OpenID configuration and keys, at the same paths as
 *   `https://api.aps.skype.com`: `GET /v1/.well-known/OpenIdConfiguration`, `GET /keys` (and `/v1/keys`);
 * - the simulator's own control API under `/sim/...` (scripted calls, faults, recordings, health).
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors/app-error.js';
import type { SimAuth } from './auth.js';
import type { SimClock } from './clock.js';
import type { GraphSimEngine, RecordedRequest } from './engine.js';
import type { FaultInjector, NotificationFault, RequestFault } from './faults.js';
import { GraphHttpError, graphErrorBody } from './graph-error.js';
import type { Notifier } from './notifier.js';

/** What the HTTP layer needs. */
export interface SimServerDeps {
  engine: GraphSimEngine;
  auth: SimAuth;
  faults: FaultInjector;
  notifier: Notifier;
  clock: SimClock;
  tenantId: string;
  origin: () => string;
}

const REQ = Symbol('graphSimRequest');
type Tagged = FastifyRequest & { [REQ]?: RecordedRequest; requestId?: string };

const CALL_PATH = /^\/v1\.0\/communications\/calls\/([^/?]+)/;

/** The OIDC discovery document MSAL reads for the simulator's authority (`{tenant}` already filled in). */
export function authorityMetadataFor(origin: string, tenantId: string): Record<string, unknown> {
  const base = `${origin}/${tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'oid'],
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

function simError(reply: FastifyReply, status: number, err: AppError): FastifyReply {
  return reply.code(status).send({ error: err.toJSON() });
}

function bodyOf(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined || b === null || b === '') return {};
  if (typeof b !== 'object' || Array.isArray(b))
    throw new GraphHttpError(400, 'BadRequest', 'The request body must be a JSON object.');
  return b as Record<string, unknown>;
}

/** Builds (does not start) the fastify server. */
export function buildSimServer(deps: SimServerDeps): FastifyInstance {
  const { engine, auth, faults, clock } = deps;
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new GraphHttpError(400, 'BadRequest', 'The request body is not valid JSON.'), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(
      null,
      Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))),
    );
  });

  // ---- Graph request bookkeeping: request-id, recording, faults, auth (in that order).
  app.addHook('onRequest', (req, reply, done) => {
    if (req.url.startsWith('/v1.0/')) {
      const t = req as Tagged;
      t.requestId = randomUUID();
      void reply.header('request-id', t.requestId);
      const crid = req.headers['client-request-id'];
      void reply.header('client-request-id', typeof crid === 'string' ? crid : t.requestId);
    }
    done();
  });
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.url.startsWith('/v1.0/')) {
      const path = req.url.split('?')[0] ?? req.url;
      const rec: RecordedRequest = {
        method: req.method,
        path,
        body: req.body ?? null,
        time: clock.now(),
        callId: CALL_PATH.exec(path)?.[1],
      };
      (req as Tagged)[REQ] = rec;
      engine.recordRequest(rec);
    }
    done();
  });
  app.addHook('preHandler', async (req) => {
    if (!req.url.startsWith('/v1.0/')) return;
    const path = req.url.split('?')[0] ?? req.url;
    const fault = faults.takeRequestFault(req.method, path);
    if (fault) {
      if (fault.kind === 'slow') await clock.sleep(fault.delayMs ?? 1000);
      else if (fault.kind === 'throttle') {
        throw new GraphHttpError(
          429,
          'TooManyRequests',
          'Too many requests. Retry after the interval in Retry-After.',
          { 'retry-after': String(fault.retryAfterSeconds ?? 1) },
        );
      } else if (fault.kind === 'unavailable') {
        throw new GraphHttpError(
          503,
          'ServiceUnavailable',
          'The service is temporarily unavailable.',
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
        );
      } else {
        throw new GraphHttpError(504, 'GatewayTimeout', 'The gateway timed out.');
      }
    }
    const check = await auth.checkAccessToken(req.headers.authorization);
    if (!check.ok)
      throw new GraphHttpError(401, 'InvalidAuthenticationToken', check.message, {
        'www-authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"',
      });
  });
  // The status is recorded in onSend, before the answer leaves, so a client that has its answer
  // always finds the request's status in `requests()` (onResponse runs after the socket write and
  // raced with tests reading the record). onResponse confirms the status that was finally sent.
  const recordStatus = (req: FastifyRequest, statusCode: number): void => {
    if (!req.url.startsWith('/v1.0/')) return;
    let rec = (req as Tagged)[REQ];
    if (!rec) {
      const path = req.url.split('?')[0] ?? req.url;
      rec = { method: req.method, path, body: null, time: clock.now(), callId: CALL_PATH.exec(path)?.[1] };
      (req as Tagged)[REQ] = rec;
      engine.recordRequest(rec);
    }
    rec.status = statusCode;
  };
  app.addHook('onSend', (req, reply, payload, done) => {
    recordStatus(req, reply.statusCode);
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    recordStatus(req, reply.statusCode);
    done();
  });

  app.setErrorHandler((err, req, reply) => {
    const t = req as Tagged;
    if (req.url.startsWith('/v1.0/')) {
      const crid = req.headers['client-request-id'];
      const clientRequestId = typeof crid === 'string' ? crid : undefined;
      if (err instanceof GraphHttpError) {
        for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
        return reply
          .code(err.status)
          .send(graphErrorBody(err.code, err.message, t.requestId ?? randomUUID(), clientRequestId));
      }
      const status =
        typeof (err as { statusCode?: unknown }).statusCode === 'number'
          ? (err as { statusCode: number }).statusCode
          : 500;
      const code = status >= 500 ? 'UnknownError' : 'BadRequest';
      return reply
        .code(status)
        .send(
          graphErrorBody(
            code,
            status >= 500 ? 'An internal error occurred in the simulator.' : (err as Error).message,
            t.requestId ?? randomUUID(),
            clientRequestId,
          ),
        );
    }
    if (err instanceof AppError) return simError(reply, 400, err);
    if (err instanceof TypeError || err instanceof GraphHttpError)
      return simError(reply, 400, new AppError('SIM.BAD_REQUEST', err.message));
    const status =
      typeof (err as { statusCode?: unknown }).statusCode === 'number'
        ? (err as { statusCode: number }).statusCode
        : 500;
    return simError(
      reply,
      status,
      new AppError('SIM.ERROR', status >= 500 ? 'internal simulator error' : (err as Error).message),
    );
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/v1.0/')) {
      const crid = req.headers['client-request-id'];
      return reply
        .code(400)
        .send(
          graphErrorBody(
            'BadRequest',
            `Resource not found for the segment in '${req.url.split('?')[0] ?? ''}'.`,
            (req as Tagged).requestId ?? randomUUID(),
            typeof crid === 'string' ? crid : undefined,
          ),
        );
    }
    return simError(
      reply,
      404,
      new AppError('SIM.NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`),
    );
  });

  // ---- Graph calls API
  const P = '/v1.0/communications/calls';
  type IdParams = { Params: { id: string } };
  type ActionParams = { Params: { id: string; action: string } };
  type PartParams = { Params: { id: string; pid: string } };

  app.post(P, (req, reply) => {
    const call = engine.createCall(bodyOf(req));
    return reply
      .code(201)
      .header('location', `${deps.origin()}${P}/${String(call.id)}`)
      .send(call);
  });
  app.get<IdParams>(`${P}/:id`, (req) => engine.getCall(req.params.id));
  app.delete<IdParams>(`${P}/:id`, (req, reply) => {
    engine.hangUp(req.params.id);
    return reply.code(204).send();
  });
  app.get<{ Params: { id: string; opId: string } }>(`${P}/:id/operations/:opId`, (req) =>
    engine.getOperation(req.params.id, req.params.opId),
  );
  app.get<IdParams>(`${P}/:id/participants`, (req) => ({
    '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#communications/calls('${req.params.id}')/participants`,
    value: engine.listParticipants(req.params.id),
  }));
  app.post<IdParams>(`${P}/:id/participants/invite`, (req, reply) => {
    const op = engine.inviteParticipants(req.params.id, bodyOf(req));
    return reply.code(200).header('location', engine.opLocation(req.params.id, op)).send(engine.opBody(op));
  });
  app.get<PartParams>(`${P}/:id/participants/:pid`, (req) =>
    engine.getParticipant(req.params.id, req.params.pid),
  );
  app.post<PartParams>(`${P}/:id/participants/:pid/mute`, (req, reply) => {
    const op = engine.muteParticipant(req.params.id, req.params.pid, bodyOf(req));
    return reply.code(200).send(engine.opBody(op));
  });
  for (const [action, start] of [
    ['startHoldMusic', true],
    ['stopHoldMusic', false],
  ] as const) {
    app.post<PartParams>(`${P}/:id/participants/:pid/${action}`, (req, reply) => {
      const op = engine.holdMusic(req.params.id, req.params.pid, bodyOf(req), start);
      return reply.code(202).header('location', engine.opLocation(req.params.id, op)).send(engine.opBody(op));
    });
  }
  app.delete<PartParams>(`${P}/:id/participants/:pid`, (req, reply) => {
    engine.removeParticipant(req.params.id, req.params.pid);
    return reply.code(204).send();
  });
  app.post<ActionParams>(`${P}/:id/:action`, (req, reply) => {
    const { id, action } = req.params;
    const body = bodyOf(req);
    const withOp = (op: ReturnType<typeof engine.playPrompt>, located = false): FastifyReply => {
      if (located) void reply.header('location', engine.opLocation(id, op));
      return reply.code(200).send(engine.opBody(op));
    };
    switch (action.toLowerCase()) {
      case 'answer':
        engine.answer(id, body);
        return reply.code(202).send();
      case 'reject':
        engine.reject(id, body);
        return reply.code(202).send();
      case 'redirect':
        engine.redirect(id, body);
        return reply.code(202).send();
      case 'transfer':
        engine.transfer(id, body);
        return reply.code(202).send();
      case 'changescreensharingrole':
        engine.changeScreenSharingRole(id, body);
        return reply.code(200).send();
      case 'keepalive':
        engine.keepAlive(id);
        return reply.code(200).send();
      case 'playprompt':
        return withOp(engine.playPrompt(id, body), true);
      case 'recordresponse':
        return withOp(engine.recordResponse(id, body), true);
      case 'subscribetotone':
        return withOp(engine.subscribeToTone(id, body));
      case 'cancelmediaprocessing':
        return withOp(engine.cancelMediaProcessing(id, body));
      case 'mute':
        return withOp(engine.muteSelf(id, body, true));
      case 'unmute':
        return withOp(engine.muteSelf(id, body, false));
      case 'updaterecordingstatus':
        return withOp(engine.updateRecordingStatus(id, body));
      case 'senddtmftones':
        return withOp(engine.sendDtmfTones(id, body), true);
      default:
        // Make unknown calls 404 before complaining about the action, as Graph resolves the call first.
        engine.getCall(id);
        throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${action}'.`);
    }
  });

  // ---- Entra ID (MSAL's authority)
  app.get<{ Params: { tenant: string } }>('/:tenant/v2.0/.well-known/openid-configuration', (req) =>
    authorityMetadataFor(deps.origin(), req.params.tenant),
  );
  app.get('/:tenant/discovery/v2.0/keys', () => auth.stsJwks());
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (req, reply) => {
    const raw = req.body;
    const form = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, string | undefined>;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      form.client_id ??= decodeURIComponent(id ?? '');
      form.client_secret ??= decodeURIComponent(secret ?? '');
    }
    const endpoint = `${deps.origin()}/${req.params.tenant}/oauth2/v2.0/token`;
    const { status, body } = await auth.issueToken(req.params.tenant, endpoint, form);
    return reply.code(status).header('cache-control', 'no-store, no-cache').send(body);
  });

  // ---- Notification signer (api.aps.skype.com paths)
  app.get('/v1/.well-known/OpenIdConfiguration', () => ({
    issuer: 'https://api.botframework.com',
    authorization_endpoint: 'https://invalid.botframework.com',
    jwks_uri: `${deps.origin()}/keys`,
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
  }));
  app.get('/keys', () => auth.notificationJwks());
  app.get('/v1/keys', () => auth.notificationJwks());

  // ---- Simulator control API
  app.get('/sim/health', () => ({
    ok: true,
    now: clock.now(),
    speed: clock.speed,
    calls: engine.calls().length,
    faults: faults.pending(),
  }));
  app.get('/sim/calls', () => ({ value: engine.calls().map((c) => c.toJSON()) }));
  app.post('/sim/calls', (req, reply) => {
    const call = engine.placeCall(req.body);
    return reply.code(201).send({ id: call.id });
  });
  app.get<IdParams>('/sim/calls/:id', (req, reply) => {
    const call = engine.call(req.params.id);
    if (!call)
      return simError(reply, 404, new AppError('SIM.CALL_NOT_FOUND', `no simulated call ${req.params.id}`));
    return call.toJSON();
  });
  app.get<IdParams>('/sim/calls/:id/requests', (req, reply) => {
    if (!engine.call(req.params.id))
      return simError(reply, 404, new AppError('SIM.CALL_NOT_FOUND', `no simulated call ${req.params.id}`));
    return { value: engine.requests(req.params.id) };
  });
  app.get<IdParams>('/sim/calls/:id/deliveries', (req, reply) => {
    if (!engine.call(req.params.id))
      return simError(reply, 404, new AppError('SIM.CALL_NOT_FOUND', `no simulated call ${req.params.id}`));
    return { value: deps.notifier.deliveries(req.params.id) };
  });
  app.post<IdParams>('/sim/calls/:id/hangup', (req, reply) => {
    if (!engine.call(req.params.id))
      return simError(reply, 404, new AppError('SIM.CALL_NOT_FOUND', `no simulated call ${req.params.id}`));
    engine.callerHangsUp(req.params.id);
    return reply.code(204).send();
  });
  app.post('/sim/outbound', (req, reply) => {
    engine.expectOutboundCall(req.body);
    return reply.code(204).send();
  });
  app.post<IdParams>('/sim/calls/:id/steps', async (req, reply) => {
    if (!engine.call(req.params.id))
      return simError(reply, 404, new AppError('SIM.CALL_NOT_FOUND', `no simulated call ${req.params.id}`));
    const body = req.body as { steps?: unknown; wait?: unknown } | undefined;
    const done = engine.runSteps(req.params.id, body?.steps);
    if (body?.wait === true) await done;
    return reply.code(202).send({ id: req.params.id });
  });
  app.get('/sim/requests', () => ({ value: engine.requests() }));
  app.post('/sim/faults', (req) => {
    const b = (req.body ?? {}) as { clear?: unknown; requests?: unknown; notifications?: unknown };
    if (typeof b !== 'object' || Array.isArray(b))
      throw new AppError(
        'SIM.BAD_REQUEST',
        'faults: expected an object { clear?, requests?: [...], notifications?: [...] }',
      );
    if (b.clear === true) faults.clear();
    if (b.requests !== undefined && !Array.isArray(b.requests))
      throw new AppError('SIM.BAD_REQUEST', 'faults: requests must be an array');
    if (b.notifications !== undefined && !Array.isArray(b.notifications))
      throw new AppError('SIM.BAD_REQUEST', 'faults: notifications must be an array');
    for (const r of (b.requests ?? []) as RequestFault[]) faults.request(r);
    for (const n of (b.notifications ?? []) as NotificationFault[]) faults.notification(n);
    return faults.pending();
  });
  app.get<IdParams>('/sim/recordings/:id', (req, reply) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const r = engine.recording(req.params.id, m?.[1]);
    if (r.status === 404)
      return simError(reply, 404, new AppError('SIM.RECORDING_NOT_FOUND', `no recording ${req.params.id}`));
    if (r.status === 401)
      return simError(
        reply,
        401,
        new AppError(
          'SIM.RECORDING_UNAUTHORIZED',
          'the recordingAccessToken is missing or wrong (send it as Authorization: Bearer)',
        ),
      );
    return reply.code(200).header('content-type', 'audio/wav').send(r.wav);
  });

  return app;
}
