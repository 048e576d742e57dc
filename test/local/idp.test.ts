import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_LOCAL_AUDIENCE,
  DEFAULT_LOCAL_ISSUER,
  localIdpSettings,
  localOid,
  startLocalIdp,
} from '../../local/idp.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('local identity provider', () => {
  it('serves its OpenID configuration and JWKS, and issues tokens that verify against them', async () => {
    const idp = await startLocalIdp({ dataDir: tmp });
    try {
      expect(idp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const oidc = (await (await fetch(`${idp.url}/.well-known/openid-configuration`)).json()) as Record<
        string,
        string
      >;
      expect(oidc).toMatchObject({
        issuer: DEFAULT_LOCAL_ISSUER,
        jwks_uri: idp.jwksUri,
        token_endpoint: `${idp.url}/token`,
      });
      const res = await fetch(`${idp.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          roles: ['FlowEditor', 'Operator'],
          user: { preferred_username: 'ann@contoso.test', name: 'Ann' },
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
      expect(body.token_type).toBe('Bearer');
      expect(body.expires_in).toBe(3600);
      const { payload, protectedHeader } = await jwtVerify(
        body.access_token,
        createRemoteJWKSet(new URL(idp.jwksUri)),
        {
          issuer: DEFAULT_LOCAL_ISSUER,
          audience: DEFAULT_LOCAL_AUDIENCE,
        },
      );
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload).toMatchObject({
        roles: ['FlowEditor', 'Operator'],
        preferred_username: 'ann@contoso.test',
        name: 'Ann',
        oid: localOid('ann@contoso.test'),
        sub: localOid('ann@contoso.test'),
        ver: '2.0',
      });
      expect(payload.exp! - payload.iat!).toBe(3600);
      expect(localIdpSettings(idp)).toEqual({
        API_AUTH_ISSUER: DEFAULT_LOCAL_ISSUER,
        API_AUTH_AUDIENCE: DEFAULT_LOCAL_AUDIENCE,
        API_AUTH_JWKS_URL: idp.jwksUri,
      });
    } finally {
      await idp.stop();
    }
  });

  it('refuses unknown or missing roles and bad lifetimes with 400', async () => {
    const idp = await startLocalIdp({ dataDir: tmp });
    try {
      for (const body of [
        { roles: ['Admin'] },
        {},
        { role: 'Reader', expiresInSeconds: 0 },
        { role: 'Reader', user: 'x' },
      ]) {
        const res = await fetch(`${idp.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
      }
      await expect(idp.issueToken({ roles: [] })).rejects.toMatchObject({ code: 'IDP.BAD_REQUEST' });
    } finally {
      await idp.stop();
    }
  });

  it('keeps its key across restarts (tokens issued before still verify) and the key file is private', async () => {
    const first = await startLocalIdp({ dataDir: tmp });
    const token = await first.issueToken({ role: 'Reader' });
    const firstKeys = await (await fetch(first.jwksUri)).json();
    await first.stop();
    const file = path.join(tmp, 'local-idp.json');
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    const second = await startLocalIdp({ dataDir: tmp });
    try {
      expect(await (await fetch(second.jwksUri)).json()).toEqual(firstKeys);
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(second.jwksUri)), {
        issuer: second.issuer,
        audience: second.audience,
      });
      expect(payload.roles).toEqual(['Reader']);
      expect(decodeJwt(token).preferred_username).toBe('reader@switchboard.local');
    } finally {
      await second.stop();
    }
  });

  it('allows the web console (a loopback origin) to fetch tokens cross-origin, and no other origin', async () => {
    const idp = await startLocalIdp({ dataDir: tmp });
    try {
      const pre = await fetch(`${idp.url}/token`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:7071', 'access-control-request-method': 'POST' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:7071');
      const foreign = await fetch(`${idp.url}/discovery/v2.0/keys`, {
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await idp.stop();
    }
  });

  it('honours a given issuer and audience and remembers them', async () => {
    const dir = path.join(tmp, 'custom');
    const a = await startLocalIdp({
      dataDir: dir,
      issuer: 'https://issuer.test/v2.0',
      audience: 'api://custom',
    });
    await a.stop();
    const b = await startLocalIdp({ dataDir: dir });
    try {
      expect([b.issuer, b.audience]).toEqual(['https://issuer.test/v2.0', 'api://custom']);
    } finally {
      await b.stop();
    }
  });
});
