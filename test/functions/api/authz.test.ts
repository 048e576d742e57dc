import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalIdp } from '../../../local/idp.js';
import { ROLE_PERMISSIONS, ROLES, type Permission } from '../../../shared/api/permissions.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.stop();
});

/** Every API route with the permission it needs (functions/api/README.md). */
const ENDPOINTS: { method: string; route: string; permission: Permission | null; body?: string | object }[] =
  [
    { method: 'GET', route: 'me', permission: null },
    { method: 'GET', route: 'flows', permission: 'flows.read' },
    { method: 'GET', route: 'flows/some-flow', permission: 'flows.read' },
    { method: 'GET', route: 'flows/some-flow/versions', permission: 'flows.read' },
    { method: 'GET', route: 'flows/some-flow/versions/1', permission: 'flows.read' },
    { method: 'GET', route: 'flows/some-flow/diff?from=1&to=2', permission: 'flows.read' },
    { method: 'PUT', route: 'flows/some-flow/draft', permission: 'flows.edit', body: 'id: some-flow' },
    { method: 'DELETE', route: 'flows/some-flow/draft', permission: 'flows.edit' },
    { method: 'POST', route: 'flows/some-flow/validate', permission: 'flows.edit', body: 'id: some-flow' },
    { method: 'POST', route: 'flows/some-flow/test', permission: 'flows.edit', body: 'id: some-flow' },
    { method: 'POST', route: 'flows/some-flow/publish', permission: 'flows.publish' },
    {
      method: 'POST',
      route: 'flows/some-flow/rollback',
      permission: 'flows.publish',
      body: { toVersion: 1 },
    },
    { method: 'GET', route: 'numbers', permission: 'numbers.read' },
    {
      method: 'PUT',
      route: 'numbers/%2B14255550199',
      permission: 'numbers.write',
      body: { flowId: 'some-flow' },
    },
    { method: 'DELETE', route: 'numbers/%2B14255550199', permission: 'numbers.write' },
    { method: 'GET', route: 'calls', permission: 'calls.read' },
    { method: 'GET', route: 'calls/no-such-call', permission: 'calls.read' },
    { method: 'POST', route: 'calls/no-such-call/terminate', permission: 'calls.terminate' },
    { method: 'GET', route: 'metrics', permission: 'metrics.read' },
  ];

describe('API authorization', () => {
  it('serves /api/health without a token', async () => {
    expect((await api.call('GET', 'health', { as: null })).status).toBe(200);
  });

  for (const e of ENDPOINTS) {
    describe(`${e.method} /api/${e.route}`, () => {
      it('answers 401 without a token, with a WWW-Authenticate challenge and no stack', async () => {
        const res = await api.call(e.method, e.route, { as: null, ...(e.body ? { body: e.body } : {}) });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
        expect(res.body).toEqual({
          error: { code: 'API.UNAUTHENTICATED', message: 'a bearer token is required' },
        });
      });

      for (const role of ROLES) {
        const allowed = e.permission === null || ROLE_PERMISSIONS[role].includes(e.permission);
        it(`${allowed ? 'lets' : 'refuses (403)'} ${role}`, async () => {
          const res = await api.call(e.method, e.route, { as: role, ...(e.body ? { body: e.body } : {}) });
          if (allowed) {
            expect([401, 403]).not.toContain(res.status);
            expect(res.status).toBeLessThan(500);
          } else {
            expect(res.status).toBe(403);
            expect(res.body.error).toMatchObject({
              code: 'API.FORBIDDEN',
              details: { permission: e.permission, roles: [role] },
            });
          }
        });
      }
    });
  }

  it('refuses tokens that are expired, for another audience or issuer, badly signed, or malformed (401)', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-other-'));
    const foreign = await startLocalIdp({ dataDir: other });
    try {
      const cases: [string, string, RegExp][] = [
        ['foreign key', await foreign.issueToken({ role: 'Reader' }), /key this API does not know|signature/],
        [
          'wrong audience',
          await harnessToken({ oid: 'u1', roles: ['Reader'] }, { audience: 'api://someone-else' }),
          /not meant for this API/,
        ],
        [
          'wrong issuer',
          await harnessToken({ oid: 'u1', roles: ['Reader'] }, { issuer: 'https://evil.example' }),
          /issuer this API does not trust/,
        ],
        [
          'expired an hour ago',
          await harnessToken(
            { oid: 'u1', roles: ['Reader'] },
            { expiresAt: Math.floor(Date.now() / 1000) - 3600 },
          ),
          /expired/,
        ],
        ['no user', await harnessToken({ roles: ['Reader'] }), /names no user/],
        ['garbage', 'not.a.jwt', /malformed|not valid/],
      ];
      for (const [name, token, message] of cases) {
        const res = await api.call('GET', 'flows', { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, name).toBe(401);
        expect(res.body.error.code, name).toBe('API.UNAUTHENTICATED');
        expect(res.body.error.message, name).toMatch(message);
      }
      const basic = await api.call('GET', 'flows', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(basic.status).toBe(401);
      expect(basic.body.error.message).toMatch(/Bearer <token>/);
      expect(basic.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", error_description="the Authorization header must be 'Bearer <token>'"`,
      );
    } finally {
      await foreign.stop();
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('grants nothing for roles the API does not know, and the union for several roles', async () => {
    const token = await harnessToken({ oid: 'u1', roles: ['Admin', 'reader', 'Reader'] });
    const unknown = await api.call('GET', 'me', { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.body.roles).toEqual(['Reader']);
    expect(unknown.body.permissions).toEqual(['flows.read', 'numbers.read', 'calls.read', 'metrics.read']);
    const both = await api.call('GET', 'me', { as: ['FlowEditor', 'Operator'] });
    expect(both.body.roles).toEqual(['FlowEditor', 'Operator']);
    expect(both.body.permissions).toEqual(expect.arrayContaining(['flows.edit', 'calls.terminate']));
    expect(both.body.permissions).not.toContain('flows.publish');
    const none = await harnessToken({ oid: 'u2', roles: ['Admin'] });
    const forbidden = await api.call('GET', 'flows', { headers: { authorization: `Bearer ${none}` } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toMatch(/no role in the token grants/);
  });
});

/** A token signed with the harness IdP's own key, with its issuer/audience unless overridden. */
async function harnessToken(
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string; expiresAt?: number } = {},
): Promise<string> {
  const state = JSON.parse(fs.readFileSync(path.join(api.tmp, 'idp', 'local-idp.json'), 'utf8'));
  const key = await importJWK(state.privateJwk, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: state.kid })
    .setIssuer(options.issuer ?? api.idp.issuer)
    .setAudience(options.audience ?? api.idp.audience)
    .setIssuedAt(now - 60)
    .setExpirationTime(options.expiresAt ?? now + 600)
    .sign(key);
}
