import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorize, createBearerValidator, type BearerValidator } from '../../../shared/api/bearer-auth.js';
import { AppError } from '../../../shared/errors/app-error.js';

const ISSUER = 'https://login.microsoftonline.com/tenant-1/v2.0';
const AUDIENCE = 'api://switchboard';
let sign: (
  claims: Record<string, unknown>,
  o?: { iss?: string; aud?: string; exp?: number; nbf?: number },
) => Promise<string>;
let validator: BearerValidator;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  sign = (claims, o = {}) => {
    const t = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(o.iss ?? ISSUER)
      .setAudience(o.aud ?? AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(o.exp ?? now + 600);
    if (o.nbf !== undefined) t.setNotBefore(o.nbf);
    return t.sign(privateKey);
  };
  validator = createBearerValidator(
    {
      issuer: ISSUER,
      audiences: [AUDIENCE, 'other-aud'],
      jwksUrl: 'http://127.0.0.1:9/keys',
      clockSkewSeconds: 60,
    },
    { keys: createLocalJWKSet({ keys: [jwk] }) },
  );
});

async function reason(header: string | undefined): Promise<string> {
  try {
    await validator.authenticate(header);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('API.UNAUTHENTICATED');
    return (err as AppError).message;
  }
  throw new Error('expected a refusal');
}

describe('bearer validation', () => {
  it('reads the user and the known roles of a valid Entra-style token', async () => {
    const token = await sign({
      oid: 'oid-1',
      sub: 'sub-1',
      preferred_username: 'ann@contoso.com',
      name: 'Ann',
      roles: ['FlowEditor', 'Admin', 'FlowEditor'],
    });
    const p = await validator.authenticate(`Bearer ${token}`);
    expect(p).toEqual({
      id: 'oid-1',
      username: 'ann@contoso.com',
      name: 'Ann',
      roles: ['FlowEditor'],
      by: 'ann@contoso.com',
    });
    const other = await validator.authenticate(
      `bearer ${await sign({ sub: 'sub-2' }, { aud: 'other-aud' })}`,
    );
    expect(other).toEqual({ id: 'sub-2', roles: [], by: 'sub-2' });
  });

  it('refuses missing, non-bearer, expired, not-yet-valid, foreign and tampered tokens with a reason', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(undefined)).toBe('a bearer token is required');
    expect(await reason('Basic abc')).toMatch(/Bearer <token>/);
    expect(await reason(`Bearer ${await sign({ oid: 'o' }, { exp: now - 120 })}`)).toMatch(/expired/);
    // Within the 60 s clock skew an expired token still passes.
    await expect(
      validator.authenticate(`Bearer ${await sign({ oid: 'o' }, { exp: now - 30 })}`),
    ).resolves.toBeDefined();
    expect(await reason(`Bearer ${await sign({ oid: 'o' }, { nbf: now + 600 })}`)).toMatch(/not valid yet/);
    expect(await reason(`Bearer ${await sign({ oid: 'o' }, { iss: 'https://sts.windows.net/x/' })}`)).toMatch(
      /issuer/,
    );
    expect(await reason(`Bearer ${await sign({ oid: 'o' }, { aud: 'api://else' })}`)).toMatch(/audience/);
    const good = await sign({ oid: 'o', roles: ['Reader'] });
    const [h, , s] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ oid: 'o', roles: ['FlowPublisher'], iss: ISSUER, aud: AUDIENCE, exp: now + 600 })).toString('base64url')}.${s}`;
    expect(await reason(`Bearer ${forged}`)).toMatch(/signature/);
    expect(await reason(`Bearer ${await sign({ roles: ['Reader'] })}`)).toMatch(/names no user/);
  });

  it('authorize throws API.FORBIDDEN naming the permission and the roles held', () => {
    const p = { id: 'u', roles: ['Reader' as const], by: 'u' };
    expect(() => authorize(p, 'flows.read')).not.toThrow();
    try {
      authorize(p, 'flows.publish');
      throw new Error('expected a refusal');
    } catch (err) {
      expect((err as AppError).code).toBe('API.FORBIDDEN');
      expect((err as AppError).metadata).toMatchObject({ permission: 'flows.publish', roles: ['Reader'] });
    }
  });
});
