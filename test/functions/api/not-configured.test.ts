import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../../local/host.js';
import { createEmbeddedStore } from '../../../local/store/embedded.store.js';
import { configureServices, resetServices } from '../../../shared/services.js';
import { BOT_SETTINGS, FIXTURE_ENTRY } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'api-noauth-'));
let host: LocalHost;
beforeAll(async () => {
  for (const k of ['API_AUTH_ISSUER', 'API_AUTH_AUDIENCE', 'API_AUTH_JWKS_URL']) delete process.env[k];
  configureServices({ store: createEmbeddedStore({ dataDir: path.join(tmp, 'store') }) });
  host = await startLocalHost({
    entry: FIXTURE_ENTRY,
    port: 0,
    dataDir: path.join(tmp, 'host'),
    settings: BOT_SETTINGS,
  });
});
afterAll(async () => {
  await host?.stop();
  await resetServices();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('API without auth settings', () => {
  it('fails closed: 500 API.AUTH_NOT_CONFIGURED naming the settings, health still open', async () => {
    const res = await fetch(`${host.url}/api/flows`, { headers: { authorization: 'Bearer x.y.z' } });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('API.AUTH_NOT_CONFIGURED');
    expect(body.error.message).toMatch(
      /API_AUTH_ISSUER is required.*API_AUTH_AUDIENCE is required.*API_AUTH_JWKS_URL is required/,
    );
    expect((await fetch(`${host.url}/api/health`)).status).toBe(200);
  });
});
