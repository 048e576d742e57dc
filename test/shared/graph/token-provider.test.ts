import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { TokenAcquisitionError } from '../../../shared/graph/errors.js';
import { createMsalTokenProvider } from '../../../shared/graph/token-provider.js';
import { guardLoopbackFetch, startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js';

const TENANT = '632899f8-2ea1-4604-8413-27bd2892079f';
const CLIENT = 'b1a2c3d4-0000-4000-8000-000000000001';

let sts: TokenEndpoint;
let guard: ReturnType<typeof guardLoopbackFetch>;

beforeAll(async () => {
  sts = await startTokenEndpoint({ tenant: TENANT, clientId: CLIENT, clientSecret: 'right-secret' });
});
afterAll(async () => {
  await sts.close();
});
beforeEach(() => {
  guard = guardLoopbackFetch();
});
afterEach(() => {
  guard.restore();
});

function provider(secret: string, scopes?: string[]) {
  return createMsalTokenProvider({
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: secret,
    authority: 'https://login.microsoftonline.com',
    authorityMetadata: sts.authorityMetadata,
    ...(scopes ? { scopes } : {}),
  });
}

describe('createMsalTokenProvider (MSAL for real against a local token endpoint)', () => {
  it('gets a client-credentials token with only loopback traffic, and serves the second call from cache', async () => {
    const before = sts.tokenRequests.length;
    const tp = provider('right-secret');
    const first = await tp.getToken();
    const second = await tp.getToken();
    expect(first).toMatch(/^token-\d+$/);
    expect(second).toBe(first);
    expect(sts.tokenRequests.length - before).toBe(1);
    const form = sts.tokenRequests.at(-1)!;
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(form.get('client_id')).toBe(CLIENT);
    expect(guard.seen.every((h) => h.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('shares one token request between concurrent callers', async () => {
    const before = sts.tokenRequests.length;
    const tp = provider('right-secret', ['api://switchboard-test/.default']);
    const tokens = await Promise.all([tp.getToken(), tp.getToken(), tp.getToken()]);
    expect(new Set(tokens).size).toBe(1);
    expect(sts.tokenRequests.length - before).toBe(1);
  });

  it('renews a token that is within the renewal window instead of serving it from cache', async () => {
    const shortSts = await startTokenEndpoint({
      tenant: TENANT,
      clientId: CLIENT,
      clientSecret: 's',
      expiresIn: 60,
    });
    try {
      const tp = createMsalTokenProvider({
        tenantId: TENANT,
        clientId: CLIENT,
        clientSecret: 's',
        authority: 'https://login.microsoftonline.com',
        authorityMetadata: shortSts.authorityMetadata,
      });
      const a = await tp.getToken();
      const b = await tp.getToken();
      expect(a).not.toBe(b);
      expect(shortSts.tokenRequests).toHaveLength(2);
    } finally {
      await shortSts.close();
    }
  });

  it('turns a wrong secret into GRAPH.TOKEN_FAILED naming the cause, not the secret', async () => {
    const tp = provider('wrong-secret');
    const err = await tp.getToken().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TokenAcquisitionError);
    const e = err as TokenAcquisitionError;
    expect(e.code).toBe('GRAPH.TOKEN_FAILED');
    expect(e.message).toContain('invalid_client');
    expect(e.message).toContain('AADSTS7000215');
    expect(e.message).toContain(CLIENT);
    expect(e.message).not.toContain('wrong-secret');
    expect(e.retryable).toBe(false);
  });

  it('refuses a configuration without any credential', () => {
    expect(() =>
      createMsalTokenProvider({
        tenantId: TENANT,
        clientId: CLIENT,
        authority: 'https://login.microsoftonline.com',
      }),
    ).toThrow(TokenAcquisitionError);
  });
});
