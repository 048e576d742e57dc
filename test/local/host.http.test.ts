import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../local/host.js';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/apps/http-basic');
const entry = path.join(appDir, 'index.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'host-http-'));
let host: LocalHost;

beforeAll(async () => {
  host = await startLocalHost({
    entry,
    port: 0,
    dataDir: path.join(tmp, 'a'),
    settings: {
      FUNCTIONS_KEYS: 'fkey-1,fkey-2',
      FUNCTIONS_MASTER_KEY: 'master-key',
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '1024',
      SWITCHBOARD_HTTP_REQUEST_TIMEOUT_MS: '600',
    },
  });
  host.registry.setLogSink(() => undefined);
});
afterAll(async () => {
  await host?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const get = (p: string, init?: RequestInit): Promise<Response> => fetch(`${host.url}${p}`, init);

describe('local host: HTTP triggers', () => {
  it('routes with optional parameters, query and the /api prefix', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await get('/api/hello/bob?punct=!')).text()).toBe('hello bob!');
    expect(await (await get('/api/hello')).text()).toBe('hello world');
    expect((await get('/hello/bob')).status).toBe(404);
  });

  it('prefers literal over constrained over plain parameters', async () => {
    expect(await (await get('/api/items/new')).json()).toEqual({ kind: 'new' });
    expect(await (await get('/api/items/42')).json()).toEqual({ kind: 'byId', id: 42 });
    expect(await (await get('/api/items/abc')).json()).toEqual({ kind: 'slug', slug: 'abc' });
  });

  it('uses the function name as the default route', async () => {
    const res = await get('/api/defaultRoute');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('by name');
  });

  it('answers 404 for unknown routes and for a method the function does not accept', async () => {
    expect((await get('/api/nowhere')).status).toBe(404);
    expect((await get('/api/echo')).status).toBe(404);
    expect((await get('/api/hello/bob', { method: 'DELETE' })).status).toBe(404);
    // Like Azure (azure-functions-host#11625), a GET-only function does not answer HEAD.
    expect((await get('/api/hello/bob', { method: 'HEAD' })).status).toBe(404);
  });

  it('checks function keys in the query and the x-functions-key header', async () => {
    expect((await get('/api/secure')).status).toBe(401);
    expect((await get('/api/secure?code=wrong')).status).toBe(401);
    expect(await (await get('/api/secure?code=fkey-2')).text()).toBe('secret ok');
    expect((await get('/api/secure', { headers: { 'x-functions-key': 'fkey-1' } })).status).toBe(200);
    expect((await get('/api/secure?code=master-key')).status).toBe(200);
    // @azure/functions v4 fills in authLevel "anonymous" when the registration omits it.
    expect((await get('/api/default-auth')).status).toBe(200);
  });

  it('accepts only the master key for admin level', async () => {
    expect((await get('/api/admin-only?code=fkey-1')).status).toBe(401);
    expect(
      await (await get('/api/admin-only', { headers: { 'x-functions-key': 'master-key' } })).text(),
    ).toBe('admin ok');
  });

  it('passes the body in and status, headers and cookies out through HttpRequest/HttpResponse', async () => {
    const res = await get('/api/echo', {
      method: 'POST',
      body: 'ping-body',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('ping-body');
    expect(res.headers.get('x-echo-length')).toBe('9');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain('session=abc');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await get('/api/echo', {
      method: 'POST',
      body: 'x'.repeat(2048),
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(413);
    const ok = await get('/api/echo', {
      method: 'POST',
      body: 'x'.repeat(1000),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(ok.status).toBe(201);
  });

  it('answers 500 with no stack or message when a handler throws', async () => {
    const res = await get('/api/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret internal detail');
    expect(text).not.toContain('at ');
  });

  it('answers 504 when the request outlives the front-end timeout', async () => {
    const started = Date.now();
    // Timeout 600 ms, handler 3 s: the 504 must come well before the handler would have finished.
    const res = await get('/api/slow?ms=3000');
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(2700);
    expect((await get('/api/slow?ms=10')).status).toBe(200);
  });

  it('answers 200 with an empty body when the handler returns nothing (the host falls back to OkResult)', async () => {
    const res = await get('/api/nothing');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('local host: output bindings', () => {
  it('sends Service Bus output binding values to the embedded bus, one message per array element', async () => {
    const post = (body: unknown): Promise<Response> =>
      get('/api/enqueue', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    expect((await post({ job: 1 })).status).toBe(202);
    expect((await post([{ job: 2 }, { job: 3 }])).status).toBe(202);
    const got = await host.bus.receive('outbound-jobs', { maxMessages: 10, peekLock: false });
    expect(got.map((m) => m.body)).toEqual([{ job: 1 }, { job: 2 }, { job: 3 }]);
  });
});

describe('local host: host.json options', () => {
  it('uses a custom routePrefix and fails invocations over functionTimeout with 500', async () => {
    const other = await startLocalHost({
      entry,
      port: 0,
      dataDir: path.join(tmp, 'b'),
      hostJson: path.join(appDir, 'host.custom.json'),
    });
    try {
      expect(await (await fetch(`${other.url}/v1/calls/hello/x`)).text()).toBe('hello x');
      expect((await fetch(`${other.url}/api/hello/x`)).status).toBe(404);
      expect((await fetch(`${other.url}/v1/calls/slow?ms=1500`)).status).toBe(500);
    } finally {
      await other.stop();
    }
  });
});
