import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  GraphCallsClient,
  parseRetryAfter,
  type GraphCallsClientOptions,
} from '../../../shared/graph/calls-client.js';
import { GraphError, TokenAcquisitionError } from '../../../shared/graph/errors.js';
import { createMsalTokenProvider } from '../../../shared/graph/token-provider.js';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server.js';
import { startTokenEndpoint } from './helpers/token-endpoint.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/graph/', import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function fixture(name: string): any {
  return JSON.parse(fs.readFileSync(`${FIXTURES}${name}`, 'utf8'));
}

const CALL = '57dab8b1-894c-409a-b240-bd8beae78896';
const PARTICIPANT = '2765eb15-01f8-47c6-b12b-c32111a4a86f';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: RecordingServer;
let sleeps: number[];

beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  sleeps = [];
});

function client(overrides: Partial<GraphCallsClientOptions> = {}): GraphCallsClient {
  return new GraphCallsClient({
    baseUrl: server.baseUrl,
    tokenProvider: { getToken: () => Promise.resolve('test-token') },
    retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 5_000 },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    timeoutMs: 2_000,
    ...overrides,
  });
}

async function failure(p: Promise<unknown>): Promise<GraphError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GraphError);
  return err as GraphError;
}

interface Case {
  name: string;
  call: (c: GraphCallsClient) => Promise<unknown>;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Expected request body (undefined: none). */
  body?: unknown;
  reply: { status: number; body?: unknown };
}

const C = `/v1.0/communications/calls/${CALL}`;

const cases: Case[] = [
  ...[
    'request-answer.json',
    'request-answer-service-hosted-media.json',
    'request-answer-app-hosted-media.json',
  ].map((f): Case => ({
    name: `answer with ${f}`,
    call: (c) => c.answer(CALL, fixture(f)),
    method: 'POST',
    path: `${C}/answer`,
    body: fixture(f),
    reply: { status: 202 },
  })),
  ...['request-reject-busy.json', 'request-reject-none.json'].map((f): Case => ({
    name: `reject with ${f}`,
    call: (c) => c.reject(CALL, fixture(f)),
    method: 'POST',
    path: `${C}/reject`,
    body: fixture(f),
    reply: { status: 202 },
  })),
  ...['request-redirect.json', 'request-redirect-pstn.json', 'request-redirect-simulring.json'].map(
    (f): Case => ({
      name: `redirect with ${f}`,
      call: (c) => c.redirect(CALL, fixture(f)),
      method: 'POST',
      path: `${C}/redirect`,
      body: fixture(f),
      reply: { status: 202 },
    }),
  ),
  ...['request-transfer.json', 'request-transfer-consultative.json', 'request-transfer-pstn.json'].map(
    (f): Case => ({
      name: `transfer with ${f}`,
      call: (c) => c.transfer(CALL, fixture(f)),
      method: 'POST',
      path: `${C}/transfer`,
      body: fixture(f),
      reply: { status: 202 },
    }),
  ),
  ...(
    [
      ['playPrompt', 'request-playprompt.json', 'response-playprompt-operation.json', 'playPrompt'],
      [
        'recordResponse',
        'request-recordresponse.json',
        'response-recordresponse-operation.json',
        'recordResponse',
      ],
      [
        'subscribeToTone',
        'request-subscribetotone.json',
        'response-subscribetotone-operation.json',
        'subscribeToTone',
      ],
      [
        'cancelMediaProcessing',
        'request-cancelmediaprocessing.json',
        'response-cancelmediaprocessing-operation.json',
        'cancelMediaProcessing',
      ],
      ['mute', 'request-mute.json', 'response-mute-operation.json', 'mute'],
      ['unmute', 'request-unmute.json', 'response-unmute-operation.json', 'unmute'],
      [
        'updateRecordingStatus',
        'request-updaterecordingstatus.json',
        'response-updaterecordingstatus-operation.json',
        'updateRecordingStatus',
      ],
      [
        'sendDtmfTones',
        'request-senddtmftones.json',
        'response-senddtmftones-operation.json',
        'sendDtmfTones',
      ],
    ] as const
  ).map(([method, req, res, action]): Case => ({
    name: `${method} with ${req} → ${res}`,
    call: (c) =>
      (c as unknown as Record<string, (id: string, p: unknown) => Promise<unknown>>)[method]!(
        CALL,
        fixture(req),
      ),
    method: 'POST',
    path: `${C}/${action}`,
    body: fixture(req),
    reply: { status: 200, body: fixture(res) },
  })),
  {
    name: 'changeScreenSharingRole with request-changescreensharingrole.json',
    call: (c) => c.changeScreenSharingRole(CALL, fixture('request-changescreensharingrole.json')),
    method: 'POST',
    path: `${C}/changeScreenSharingRole`,
    body: fixture('request-changescreensharingrole.json'),
    reply: { status: 202 },
  },
  {
    name: 'keepAlive (no body)',
    call: (c) => c.keepAlive(CALL),
    method: 'POST',
    path: `${C}/keepAlive`,
    reply: { status: 200 },
  },
  { name: 'hangUp', call: (c) => c.hangUp(CALL), method: 'DELETE', path: C, reply: { status: 204 } },
  {
    name: 'getCall → response-create-call.json',
    call: (c) => c.getCall(CALL),
    method: 'GET',
    path: C,
    reply: { status: 200, body: fixture('response-create-call.json') },
  },
  ...['request-participants-invite.json', 'request-participants-invite-multiple.json'].map((f): Case => ({
    name: `inviteParticipants with ${f}`,
    call: (c) => c.inviteParticipants(CALL, fixture(f)),
    method: 'POST',
    path: `${C}/participants/invite`,
    body: fixture(f),
    reply: { status: 200, body: fixture('response-participants-invite-operation.json') },
  })),
  {
    name: 'muteParticipant with request-participant-mute.json',
    call: (c) => c.muteParticipant(CALL, PARTICIPANT, fixture('request-participant-mute.json')),
    method: 'POST',
    path: `${C}/participants/${PARTICIPANT}/mute`,
    body: fixture('request-participant-mute.json'),
    reply: { status: 200, body: fixture('response-participant-mute-operation.json') },
  },
  {
    name: 'startHoldMusic with request-participant-startholdmusic.json',
    call: (c) => c.startHoldMusic(CALL, PARTICIPANT, fixture('request-participant-startholdmusic.json')),
    method: 'POST',
    path: `${C}/participants/${PARTICIPANT}/startHoldMusic`,
    body: fixture('request-participant-startholdmusic.json'),
    reply: { status: 202, body: fixture('response-startholdmusic-operation.json') },
  },
  {
    name: 'removeParticipant',
    call: (c) => c.removeParticipant(CALL, PARTICIPANT),
    method: 'DELETE',
    path: `${C}/participants/${PARTICIPANT}`,
    reply: { status: 204 },
  },
  ...[
    ['request-create-call-service-hosted-media.json', 'response-create-call.json'],
    ['request-create-call-app-hosted-media.json', 'response-create-call.json'],
    ['request-create-call-pstn-service-hosted-media.json', 'response-create-call-pstn.json'],
    ['request-join-meeting-app-hosted-media.json', 'response-create-call.json'],
    ['request-join-meeting-joinmeetingid-passcode.json', 'response-create-call.json'],
  ].map(([req, res]): Case => ({
    name: `createCall with ${req!} → ${res!}`,
    call: (c) => c.createCall(fixture(req!)),
    method: 'POST',
    path: '/v1.0/communications/calls',
    body: fixture(req!),
    reply: { status: 201, body: fixture(res!) },
  })),
];

describe('GraphCallsClient requests (method, path, body per the Graph v1.0 reference fixtures)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, tc) => {
    server.respond = () => tc.reply;
    const result = await tc.call(client());
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe(tc.method);
    expect(req.path).toBe(tc.path);
    expect(req.body).toEqual(tc.body);
    expect(req.headers.authorization).toBe('Bearer test-token');
    expect(req.headers['client-request-id']).toMatch(GUID);
    if (tc.method === 'POST' && tc.body !== undefined)
      expect(req.headers['content-type']).toContain('application/json');
    expect(result).toEqual(tc.reply.body);
  });

  it('lists participants from the value[] page', async () => {
    const roster = fixture('notification-participants-updated.json').value[0].resourceData;
    server.respond = () => ({ status: 200, body: { value: roster } });
    const participants = await client().listParticipants(CALL);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: `${C}/participants` });
    expect(participants).toEqual(roster);
  });

  it('generates a clientContext when the caller gives none, and returns it in the operation', async () => {
    server.respond = (req) => ({
      status: 200,
      body: {
        id: 'op1',
        status: 'completed',
        clientContext: (req.body as { clientContext: string }).clientContext,
      },
    });
    const op = await client().subscribeToTone(CALL);
    expect(op.clientContext).toMatch(GUID);
    expect((server.requests[0]!.body as { clientContext: string }).clientContext).toBe(op.clientContext);
  });

  it('escapes ids in the path', async () => {
    server.respond = () => ({ status: 204 });
    await client().hangUp('a/b?c');
    expect(server.requests[0]!.path).toBe('/v1.0/communications/calls/a%2Fb%3Fc');
  });

  it('sends a fresh client-request-id per request', async () => {
    server.respond = () => ({ status: 200 });
    const c = client();
    await c.keepAlive(CALL);
    await c.keepAlive(CALL);
    const ids = server.requests.map((r) => r.headers['client-request-id']);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('retries and typed errors', () => {
  const op = {
    '@odata.type': '#microsoft.graph.playPromptOperation',
    id: 'o',
    status: 'running',
    clientContext: 'c',
  };
  const prompts = [
    { '@odata.type': '#microsoft.graph.mediaPrompt' as const, mediaInfo: { uri: 'https://x/a.wav' } },
  ];

  it('retries 429 after the Retry-After Graph gave, with the same client-request-id', async () => {
    server.respond = (_r, i) =>
      i === 0 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200, body: op };
    const result = await client().playPrompt(CALL, { prompts, clientContext: 'c' });
    expect(result).toEqual(op);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(server.requests[1]!.headers['client-request-id']).toBe(
      server.requests[0]!.headers['client-request-id'],
    );
    expect(server.requests[1]!.headers['retry-attempt']).toBe('1');
  });

  it('waits out a real Retry-After (no injected sleep)', async () => {
    server.respond = (_r, i) =>
      i === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 };
    const c = new GraphCallsClient({
      baseUrl: server.baseUrl,
      tokenProvider: { getToken: () => Promise.resolve('t') },
    });
    const started = performance.now();
    await c.keepAlive(CALL);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it('retries 503 with jittered exponential backoff, capped', async () => {
    server.respond = (_r, i) => (i < 3 ? { status: 503 } : { status: 200, body: op });
    await client({ retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 300 } }).playPrompt(CALL, {
      prompts,
      clientContext: 'c',
    });
    expect(server.requests).toHaveLength(4);
    // random 0.5 × min(cap 300, 100·2^(n-1)) → 50, 100, 150
    expect(sleeps).toEqual([50, 100, 150]);
  });

  it('gives up after maxRetries with a retryable GRAPH.THROTTLED carrying ids and Retry-After', async () => {
    server.respond = () => ({
      status: 429,
      headers: { 'Retry-After': '1', 'request-id': 'rid-429' },
      body: { error: { code: 'TooManyRequests', message: 'slow down' } },
    });
    const err = await failure(client({ retry: { maxRetries: 2, maxDelayMs: 5000 } }).getCall(CALL));
    expect(server.requests).toHaveLength(3);
    expect(err).toMatchObject({
      code: 'GRAPH.THROTTLED',
      status: 429,
      graphCode: 'TooManyRequests',
      requestId: 'rid-429',
      retryable: true,
      retryAfterMs: 1000,
    });
    expect(err.clientRequestId).toBe(server.requests[0]!.headers['client-request-id']);
    expect(err.metadata.attempts).toBe(3);
  });

  it('does not wait in-process for a Retry-After beyond maxDelayMs: surfaces it for a durable timer', async () => {
    server.respond = () => ({ status: 429, headers: { 'Retry-After': '120' } });
    const err = await failure(client({ retry: { maxDelayMs: 5000 } }).getCall(CALL));
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(err).toMatchObject({ code: 'GRAPH.THROTTLED', retryable: true, retryAfterMs: 120_000 });
  });

  it('retries 504 for an idempotent request', async () => {
    server.respond = (_r, i) => (i === 0 ? { status: 504 } : { status: 200, body: { id: CALL } });
    await expect(client().getCall(CALL)).resolves.toEqual({ id: CALL });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry 504 for a non-idempotent action: outcome unknown, not retryable', async () => {
    server.respond = () => ({ status: 504 });
    const err = await failure(client().playPrompt(CALL, { prompts, clientContext: 'c' }));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: 'GRAPH.UNAVAILABLE', status: 504, retryable: false });
    expect(err.metadata.outcomeUnknown).toBe(true);
  });

  it('never retries 400: GRAPH.BAD_REQUEST with Graph code, message and request ids', async () => {
    server.respond = () => ({
      status: 400,
      headers: { 'request-id': 'rid-400', 'client-request-id': 'echoed' },
      body: {
        error: {
          code: 'BadRequest',
          message: 'Invalid prompt',
          innerError: { 'request-id': 'inner', date: 'x' },
        },
      },
    });
    const err = await failure(client().playPrompt(CALL, { prompts, clientContext: 'c' }));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({
      code: 'GRAPH.BAD_REQUEST',
      status: 400,
      graphCode: 'BadRequest',
      requestId: 'rid-400',
      clientRequestId: 'echoed',
      retryable: false,
    });
    expect(err.message).toContain('Invalid prompt');
    expect(err.message).toContain(`POST /communications/calls/${CALL}/playPrompt`);
  });

  it('never retries 404: GRAPH.NOT_FOUND (request-id from the body when the header is missing)', async () => {
    server.respond = () => ({
      status: 404,
      body: {
        error: { code: 'itemNotFound', message: 'Call not found', innerError: { 'request-id': 'inner-404' } },
      },
    });
    const err = await failure(client().keepAlive(CALL));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: 'GRAPH.NOT_FOUND', requestId: 'inner-404', retryable: false });
  });

  it('times out a non-idempotent call once and says the outcome is unknown', async () => {
    server.respond = () => ({ status: 0, hang: true });
    const err = await failure(
      client({ timeoutMs: 500 }).answer(CALL, {
        callbackUri: 'https://bot.example.com/api/calling',
        acceptedModalities: ['audio'],
        mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
      }),
    );
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: 'GRAPH.TIMEOUT', status: 0, retryable: false });
    expect(err.metadata.outcomeUnknown).toBe(true);
    expect(err.message).toContain('do not repeat it blindly');
  });

  it('retries a timed-out idempotent request', async () => {
    server.respond = (_r, i) => (i === 0 ? { status: 0, hang: true } : { status: 200, body: { id: CALL } });
    await expect(client({ timeoutMs: 500 }).getCall(CALL)).resolves.toEqual({ id: CALL });
    expect(server.requests).toHaveLength(2);
  });

  it('treats a 404 after a lost DELETE answer as a completed hang-up', async () => {
    server.respond = (_r, i) => (i === 0 ? { status: 0, hang: true } : { status: 404 });
    await expect(client({ timeoutMs: 500 }).hangUp(CALL)).resolves.toBeUndefined();
    expect(server.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('reports a refused connection as GRAPH.NETWORK', async () => {
    const dead = await startRecordingServer();
    const url = dead.baseUrl;
    await dead.close();
    const err = await failure(
      new GraphCallsClient({
        baseUrl: url,
        tokenProvider: { getToken: () => Promise.resolve('t') },
        retry: { maxRetries: 1, baseDelayMs: 1 },
      }).getCall(CALL),
    );
    expect(err).toMatchObject({ code: 'GRAPH.NETWORK', status: 0, retryable: true });
    expect(err.metadata.attempts).toBe(2);
  });

  it('passes a token failure through unchanged, without sending the request', async () => {
    const tokenErr = new TokenAcquisitionError('no token', {});
    const err = await new GraphCallsClient({
      baseUrl: server.baseUrl,
      tokenProvider: { getToken: () => Promise.reject(tokenErr) },
    })
      .getCall(CALL)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBe(tokenErr);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a badly formed 2xx body as GRAPH.BAD_RESPONSE', async () => {
    server.respond = () => ({ status: 200, body: 'not json{' });
    const err = await failure(client().getCall(CALL));
    expect(err.code).toBe('GRAPH.BAD_RESPONSE');
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});

describe('with MSAL for real', () => {
  it('sends the MSAL token, acquired from the local token endpoint, as the bearer', async () => {
    const sts = await startTokenEndpoint({ tenant: 't1', clientId: 'bot', clientSecret: 's' });
    try {
      const tokenProvider = createMsalTokenProvider({
        tenantId: 't1',
        clientId: 'bot',
        clientSecret: 's',
        authority: 'https://login.microsoftonline.com',
        authorityMetadata: sts.authorityMetadata,
      });
      server.respond = () => ({ status: 200 });
      const c = new GraphCallsClient({ baseUrl: server.baseUrl, tokenProvider });
      await c.keepAlive(CALL);
      await c.keepAlive(CALL);
      expect(server.requests.map((r) => r.headers.authorization)).toEqual([
        'Bearer token-1',
        'Bearer token-1',
      ]);
      expect(sts.tokenRequests).toHaveLength(1);
    } finally {
      await sts.close();
    }
  });
});
