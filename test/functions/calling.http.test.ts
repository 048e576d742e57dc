// The calling webhook with the REAL inbound token validator (our own RS256 keys behind a fake
// OpenID configuration / JWKS fetch), the embedded store and a recording fake Durable client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { HttpRequest } from '@azure/functions';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { handleCalling, RecentKeys, type CallingDurableClient } from '../../functions/calling.http.js';
import { createEmbeddedStore } from '../../local/store/embedded.store.js';
import { loadConfig } from '../../shared/config/config.js';
import { createInboundTokenValidator } from '../../shared/graph/inbound-auth.js';
import type { Store } from '../../shared/store/index.js';

const BOT = 'bot-app-id';
const TENANT = 'tenant-1';
const ISSUER = 'https://api.botframework.com';
const OIDC = 'https://auth.test/v1/.well-known/OpenIdConfiguration';
const CALL = 'c0ffee00-1111-4222-8333-444444444444';

let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwks: { keys: unknown[] };
let keysDown = false;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
});

const fakeFetch: typeof fetch = (input) => {
  const url = input instanceof Request ? input.url : String(input);
  if (keysDown) return Promise.reject(new TypeError('fetch failed'));
  if (url === OIDC)
    return Promise.resolve(Response.json({ issuer: ISSUER, jwks_uri: 'https://auth.test/keys' }));
  if (url === 'https://auth.test/keys') return Promise.resolve(Response.json(jwks));
  return Promise.resolve(new Response('not found', { status: 404 }));
};

async function token(claims: Record<string, unknown> = {}, audience = BOT): Promise<string> {
  return new SignJWT({ tid: TENANT, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);
}

class FakeDurable implements CallingDurableClient {
  started: { name: string; instanceId: string; input: unknown }[] = [];
  raised: { instanceId: string; name: string; data: unknown }[] = [];
  known = new Set<string>();
  down = false;
  startNew(name: string, o: { instanceId: string; input: unknown }): Promise<string> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    if (this.known.has(o.instanceId))
      return Promise.reject(
        new Error(
          'The operation failed with an unexpected status code: 409. Details: {"message":"already exists"}',
        ),
      );
    this.known.add(o.instanceId);
    this.started.push({ name, ...o });
    return Promise.resolve(o.instanceId);
  }
  raiseEvent(instanceId: string, name: string, data: unknown): Promise<void> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    if (!this.known.has(instanceId))
      return Promise.reject(new Error(`No instance with ID '${instanceId}' found.`));
    this.raised.push({ instanceId, name, data });
    return Promise.resolve();
  }
}

let store: Store;
let durable: FakeDurable;
let tones: RecentKeys;

beforeEach(() => {
  keysDown = false;
  store = createEmbeddedStore({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'calling-http-')) });
  durable = new FakeDurable();
  tones = new RecentKeys(100);
});
afterEach(async () => {
  await store.close();
});

const config = loadConfig({
  SWITCHBOARD_BOT_APP_ID: BOT,
  SWITCHBOARD_TENANT_ID: TENANT,
  SWITCHBOARD_CALLBACK_URL: 'https://bot.test/api/calling',
  MAX_NOTIFICATION_BYTES: '4096',
});

function deps(): Parameters<typeof handleCalling>[1] {
  const inboundAuth = createInboundTokenValidator({
    audience: BOT,
    openIdConfigurationUrl: OIDC,
    issuers: [ISSUER],
    allowedTenants: [TENANT],
    fetch: fakeFetch,
  });
  return { services: { config, store, inboundAuth }, client: durable, tones };
}

function post(body: string, auth?: string): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://127.0.0.1/api/calling',
    headers: { 'content-type': 'application/json', ...(auth === undefined ? {} : { authorization: auth }) },
    body: { string: body },
  });
}

const incoming = {
  value: [
    {
      '@odata.type': '#microsoft.graph.commsNotification',
      changeType: 'created',
      resourceUrl: `/communications/calls/${CALL}`,
      resourceData: {
        '@odata.type': '#microsoft.graph.call',
        state: 'incoming',
        direction: 'incoming',
        callbackUri: 'https://bot.test/api/calling',
        source: { identity: { phone: { id: '+14255550199' } } },
        targets: [{ identity: { phone: { id: '+14255550100' } } }],
        requestedModalities: ['audio'],
      },
    },
  ],
};
const tone = (seq: number): unknown => ({
  value: [
    {
      changeType: 'updated',
      resourceUrl: `/communications/calls/${CALL}`,
      resourceData: {
        '@odata.type': '#microsoft.graph.call',
        state: 'established',
        toneInfo: { '@odata.type': '#microsoft.graph.toneInfo', sequenceId: seq, tone: 'tone5' },
      },
    },
  ],
});
const recordDone = {
  value: [
    {
      changeType: 'deleted',
      resourceUrl: `/communications/calls/${CALL}/operations/op-1`,
      resourceData: {
        '@odata.type': '#microsoft.graph.recordOperation',
        status: 'completed',
        clientContext: 'voicemail#3',
        completionReason: 'stopToneDetected',
        recordingLocation: 'https://media.test/rec/1',
        recordingAccessToken: 'SECRET-TOKEN',
        resultInfo: { code: 200, subcode: 8514 },
      },
    },
  ],
};

describe('POST /api/calling', () => {
  it('answers 401 without detail for a missing, foreign-audience or unsigned token', async () => {
    const body = JSON.stringify(incoming);
    for (const auth of [undefined, `Bearer ${await token({}, 'other-bot')}`, 'Bearer not.a.jwt']) {
      const res = await handleCalling(post(body, auth), deps());
      expect(res.status).toBe(401);
      expect(res.body ?? res.jsonBody).toBeUndefined();
    }
    expect(durable.started).toEqual([]);
  });

  it('answers 503 when the signing keys cannot be fetched, so Graph retries', async () => {
    keysDown = true;
    const res = await handleCalling(post(JSON.stringify(incoming), `Bearer ${await token()}`), deps());
    expect(res.status).toBe(503);
  });

  it('answers 400 with a short reason for malformed, non-collection and oversized bodies', async () => {
    const auth = `Bearer ${await token()}`;
    const d = deps();
    const notJson = await handleCalling(post('{"value": [', auth), d);
    expect(notJson).toMatchObject({ status: 400, jsonBody: { error: { message: 'body is not JSON' } } });
    const notCollection = await handleCalling(post('{"value": 3}', auth), d);
    expect(notCollection.status).toBe(400);
    expect(JSON.stringify(notCollection.jsonBody)).toMatch(/value: expected an array/);
    const big = await handleCalling(post(JSON.stringify({ value: [], pad: 'x'.repeat(5000) }), auth), d);
    expect(big).toMatchObject({
      status: 400,
      jsonBody: { error: { message: 'body larger than 4096 bytes' } },
    });
  });

  it('starts orchestration call for an incoming call, once even when notified twice', async () => {
    const auth = `Bearer ${await token()}`;
    const d = deps();
    expect((await handleCalling(post(JSON.stringify(incoming), auth), d)).status).toBe(202);
    expect((await handleCalling(post(JSON.stringify(incoming), auth), d)).status).toBe(202);
    expect(durable.started).toHaveLength(1);
    expect(durable.started[0]).toMatchObject({
      name: 'call',
      instanceId: CALL,
      input: { callId: CALL, from: '+14255550199', to: '+14255550100' },
    });
    const timeline = await store.timelines.list(CALL);
    expect(timeline.filter((e) => e.kind === 'notification')).toHaveLength(2);
    expect(timeline[0]?.data).toMatchObject({ eventKind: 'incomingCall', raw: { changeType: 'created' } });
  });

  it('raises other events as "graph" without raw, dropping tones already seen', async () => {
    const auth = `Bearer ${await token()}`;
    const d = deps();
    await handleCalling(post(JSON.stringify(incoming), auth), d);
    for (const seq of [1, 2, 1])
      expect((await handleCalling(post(JSON.stringify(tone(seq)), auth), d)).status).toBe(202);
    expect(durable.raised.map((r) => (r.data as { sequenceId: number }).sequenceId)).toEqual([1, 2]);
    expect(durable.raised[0]).toMatchObject({
      instanceId: CALL,
      name: 'graph',
      data: { kind: 'tone', key: '5' },
    });
    expect(durable.raised[0]?.data).not.toHaveProperty('raw');
  });

  it('redacts the recording access token from the stored notification (not from the event)', async () => {
    const auth = `Bearer ${await token()}`;
    const d = deps();
    await handleCalling(post(JSON.stringify(incoming), auth), d);
    await handleCalling(post(JSON.stringify(recordDone), auth), d);
    expect(durable.raised[0]?.data).toMatchObject({ recordingAccessToken: 'SECRET-TOKEN' });
    const stored = JSON.stringify(await store.timelines.list(CALL));
    expect(stored).not.toContain('SECRET-TOKEN');
    expect(stored).toContain('[redacted]');
  });

  it('records and acknowledges events for a call with no instance', async () => {
    const res = await handleCalling(post(JSON.stringify(tone(7)), `Bearer ${await token()}`), deps());
    expect(res.status).toBe(202);
    const timeline = await store.timelines.list(CALL);
    expect(timeline.map((e) => e.kind).sort()).toEqual(['notification', 'unroutedNotification']);
  });

  it('answers 503 when the Durable client cannot be reached, so Graph retries (and the retried tone goes through)', async () => {
    const auth = `Bearer ${await token()}`;
    const d = deps();
    durable.down = true;
    expect((await handleCalling(post(JSON.stringify(incoming), auth), d)).status).toBe(503);
    durable.down = false;
    expect((await handleCalling(post(JSON.stringify(incoming), auth), d)).status).toBe(202);
    durable.down = true;
    expect((await handleCalling(post(JSON.stringify(tone(1)), auth), d)).status).toBe(503);
    durable.down = false;
    expect((await handleCalling(post(JSON.stringify(tone(1)), auth), d)).status).toBe(202);
    expect(durable.raised).toHaveLength(1);
  });
});

describe('RecentKeys', () => {
  it('remembers at most max keys, forgetting the least recently seen', () => {
    const k = new RecentKeys(2);
    k.add('a');
    k.add('b');
    expect(k.has('a')).toBe(true);
    k.add('c');
    expect(k.has('b')).toBe(false);
    expect(k.has('a')).toBe(true);
    expect(k.has('c')).toBe(true);
  });
});
