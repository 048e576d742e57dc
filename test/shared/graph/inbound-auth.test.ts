import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { SignJWT, UnsecuredJWT, base64url, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createInboundTokenValidator, InboundAuthError } from '../../../shared/graph/inbound-auth.js';

const APP_ID = 'bot-app-id-0001';
const TENANT = '632899f8-2ea1-4604-8413-27bd2892079f';
const GRAPH_ISSUER = 'https://graph.microsoft.com';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let k1: KeyPair;
let k2: KeyPair;
let served: JWK[];
let fetches: { config: number; jwks: number };
let configUp: boolean;
let server: http.Server;
let configUrl: string;

beforeAll(async () => {
  k1 = await generateKeyPair('RS256', { extractable: true });
  k2 = await generateKeyPair('RS256', { extractable: true });
  server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/.well-known/OpenIdConfiguration') {
      fetches.config += 1;
      if (!configUp) {
        res.statusCode = 503;
        res.end('{}');
        return;
      }
      res.end(JSON.stringify({ issuer: 'https://api.botframework.com', jwks_uri: `${base}/v1/keys` }));
      return;
    }
    if (req.url === '/v1/keys') {
      fetches.jwks += 1;
      res.end(JSON.stringify({ keys: served }));
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  configUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/.well-known/OpenIdConfiguration`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(async () => {
  served = [{ ...(await exportJWK(k1.publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' }];
  fetches = { config: 0, jwks: 0 };
  configUp = true;
});

function validator(extra: Partial<Parameters<typeof createInboundTokenValidator>[0]> = {}) {
  return createInboundTokenValidator({ openIdConfigurationUrl: configUrl, audience: APP_ID, ...extra });
}

interface TokenSpec {
  key?: KeyPair;
  kid?: string;
  iss?: string;
  aud?: string;
  tid?: string | null;
  expIn?: number;
  nbfIn?: number;
}

async function token(spec: TokenSpec = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { appid: 'graph-caller' };
  if (spec.tid !== null) claims.tid = spec.tid ?? TENANT;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: spec.kid ?? 'k1', typ: 'JWT' })
    .setIssuer(spec.iss ?? GRAPH_ISSUER)
    .setAudience(spec.aud ?? APP_ID)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (spec.expIn ?? 3600));
  if (spec.nbfIn !== undefined) jwt.setNotBefore(now + spec.nbfIn);
  return jwt.sign((spec.key ?? k1).privateKey);
}

async function rejection(p: Promise<unknown>): Promise<InboundAuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InboundAuthError);
  return err as InboundAuthError;
}

describe('createInboundTokenValidator', () => {
  it('accepts a valid token from either issuer and returns its tenant', async () => {
    const v = validator();
    const claims = await v.validate(`Bearer ${await token()}`);
    expect(claims).toMatchObject({ tenantId: TENANT, issuer: GRAPH_ISSUER, callerAppId: 'graph-caller' });
    const bf = await v.validate(`bearer ${await token({ iss: 'https://api.botframework.com' })}`);
    expect(bf.issuer).toBe('https://api.botframework.com');
    expect(fetches).toEqual({ config: 1, jwks: 1 });
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    await expect(validator().validate(`Bearer ${await token({ expIn: -60 })}`)).resolves.toMatchObject({
      tenantId: TENANT,
    });
  });

  it.each([undefined, null, '', 'Basic abc', 'Bearer', 'Bearer  '])(
    'rejects a missing token (%j)',
    async (h) => {
      const err = await rejection(validator().validate(h));
      expect(err).toMatchObject({ code: 'GRAPH.UNAUTHORIZED', reason: 'no-token', retryable: false });
    },
  );

  const negative: [string, () => Promise<string>, string][] = [
    ['wrong issuer', () => token({ iss: 'https://evil.example.com' }), 'issuer'],
    ['wrong audience', () => token({ aud: 'another-bot' }), 'audience'],
    ['expired', () => token({ expIn: -3600 }), 'expired'],
    ['not yet valid', () => token({ nbfIn: 1800 }), 'not-yet-valid'],
    ['unknown key', () => token({ key: k2, kid: 'k2' }), 'unknown-key'],
    ['known kid, other key', () => token({ key: k2, kid: 'k1' }), 'signature'],
    ['missing tid', () => token({ tid: null }), 'tenant-missing'],
    [
      'alg none',
      () =>
        Promise.resolve(
          new UnsecuredJWT({ tid: TENANT })
            .setIssuer(GRAPH_ISSUER)
            .setAudience(APP_ID)
            .setExpirationTime('1h')
            .encode(),
        ),
      'algorithm',
    ],
    [
      'HS256 signed with the public key',
      async () => {
        const pem = await exportSPKI(k1.publicKey);
        const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid: 'k1', typ: 'JWT' }));
        const now = Math.floor(Date.now() / 1000);
        const payload = base64url.encode(
          JSON.stringify({ iss: GRAPH_ISSUER, aud: APP_ID, tid: TENANT, exp: now + 3600, iat: now }),
        );
        const sig = crypto.createHmac('sha256', pem).update(`${header}.${payload}`).digest();
        return `${header}.${payload}.${base64url.encode(sig)}`;
      },
      'algorithm',
    ],
    [
      'tampered payload',
      async () => {
        const [h, p, s] = (await token()).split('.');
        const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!))) as Record<string, unknown>;
        claims.tid = 'another-tenant';
        return `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
      },
      'signature',
    ],
    ['not a JWT', () => Promise.resolve('abc.def'), 'malformed'],
  ];

  it.each(negative)('rejects %s', async (_label, make, reason) => {
    const t = await make();
    const err = await rejection(validator().validate(`Bearer ${t}`));
    expect(err.code).toBe('GRAPH.UNAUTHORIZED');
    expect(err.reason).toBe(reason);
    expect(err.message).not.toContain(t);
    expect(JSON.stringify(err)).not.toContain(t);
  });

  it('rejects a tenant outside the allow-list', async () => {
    const v = validator({ allowedTenants: ['11111111-1111-1111-1111-111111111111'] });
    const err = await rejection(v.validate(`Bearer ${await token()}`));
    expect(err.reason).toBe('tenant-not-allowed');
  });

  it('re-fetches the keys when an unknown kid appears (rotation), with a cooldown', async () => {
    const v = validator({ keyCooldownMs: 60_000 });
    await v.validate(`Bearer ${await token()}`);
    expect(fetches.jwks).toBe(1);
    served.push({ ...(await exportJWK(k2.publicKey)), kid: 'k2', use: 'sig', alg: 'RS256' });
    // Within the cooldown after the first fetch, an unknown kid does not hammer the key endpoint.
    await rejection(v.validate(`Bearer ${await token({ key: k2, kid: 'k2' })}`));
    expect(fetches.jwks).toBe(1);
    served.pop();
    const fresh = validator({ keyCooldownMs: 0 });
    await fresh.validate(`Bearer ${await token()}`);
    served.push({ ...(await exportJWK(k2.publicKey)), kid: 'k2', use: 'sig', alg: 'RS256' });
    const before = fetches.jwks;
    await expect(fresh.validate(`Bearer ${await token({ key: k2, kid: 'k2' })}`)).resolves.toMatchObject({
      tenantId: TENANT,
    });
    expect(fetches.jwks).toBe(before + 1);
  });

  it('re-reads the OpenID configuration and keys after the refresh interval', async () => {
    const v = validator({ keyRefreshIntervalMs: 50 });
    await v.validate(`Bearer ${await token()}`);
    await new Promise((r) => setTimeout(r, 80));
    await v.validate(`Bearer ${await token()}`);
    expect(fetches.config).toBe(2);
    expect(fetches.jwks).toBe(2);
  });

  it('reports unreachable keys as retryable GRAPH.AUTH_KEYS_UNAVAILABLE, not as a bad token', async () => {
    configUp = false;
    const err = await rejection(validator().validate(`Bearer ${await token()}`));
    expect(err).toMatchObject({
      code: 'GRAPH.AUTH_KEYS_UNAVAILABLE',
      retryable: true,
      reason: 'keys-unavailable',
    });
  });

  it('refuses to be configured with a symmetric algorithm', () => {
    expect(() => validator({ algorithms: ['HS256'] })).toThrow(InboundAuthError);
  });
});
