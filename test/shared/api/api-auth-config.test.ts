import { describe, expect, it } from 'vitest';
import { loadApiAuthConfig } from '../../../shared/api/api-auth-config.js';
import { AppError } from '../../../shared/errors/app-error.js';

describe('loadApiAuthConfig', () => {
  it('reads issuer, audiences (comma-separated), JWKS URL and clock skew', () => {
    const c = loadApiAuthConfig({
      API_AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0',
      API_AUTH_AUDIENCE: 'api://switchboard, 0d4b6f2e-1111-2222-3333-444455556666',
      API_AUTH_JWKS_URL: 'https://login.microsoftonline.com/t/discovery/v2.0/keys',
      API_AUTH_CLOCK_SKEW: '30',
    });
    expect(c).toEqual({
      issuer: 'https://login.microsoftonline.com/t/v2.0',
      audiences: ['api://switchboard', '0d4b6f2e-1111-2222-3333-444455556666'],
      jwksUrl: 'https://login.microsoftonline.com/t/discovery/v2.0/keys',
      clockSkewSeconds: 30,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('fails closed naming every missing or malformed setting, without echoing values', () => {
    let err: unknown;
    try {
      loadApiAuthConfig({ API_AUTH_JWKS_URL: 'ftp://secret-host/keys', API_AUTH_CLOCK_SKEW: 'lots' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe('API.AUTH_NOT_CONFIGURED');
    expect(e.message).toMatch(/API_AUTH_ISSUER is required/);
    expect(e.message).toMatch(/API_AUTH_AUDIENCE is required/);
    expect(e.message).toMatch(/API_AUTH_JWKS_URL must be an http\(s\) URL/);
    expect(e.message).toMatch(/API_AUTH_CLOCK_SKEW/);
    expect(e.message).not.toContain('secret-host');
  });
});
