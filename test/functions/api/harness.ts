/**
 * Starts the API for a test file: the local identity provider, an embedded store, a Graph calls
 * client whose transport records requests, and the real local host serving `fixture-app.ts` with
 * the IdP's settings. `call()` sends a request with a token for the given role(s).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalHost, type LocalHost } from '../../../local/host.js';
import { localIdpSettings, startLocalIdp, type LocalIdp } from '../../../local/idp.js';
import { createEmbeddedStore } from '../../../local/store/embedded.store.js';
import type { Role } from '../../../shared/api/permissions.js';
import { GraphCallsClient } from '../../../shared/graph/calls-client.js';
import { configureServices, resetServices } from '../../../shared/services.js';
import type { Store } from '../../../shared/store/index.js';

export const FIXTURE_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixture-app.ts');

export interface ApiHarness {
  host: LocalHost;
  idp: LocalIdp;
  store: Store;
  tmp: string;
  /** Graph requests the app made (`METHOD path`). */
  graphRequests: string[];
  /** Status for the next Graph requests (default 204). */
  setGraphStatus(status: number): void;
  token(roles: Role | Role[], user?: string): Promise<string>;
  /** Sends a request; `as` = role(s) for a token, `null` = no Authorization header. */
  call(
    method: string,
    route: string,
    options?: { as?: Role | Role[] | null; body?: string | object; headers?: Record<string, string> },
    // Response bodies are asserted field by field in the tests.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export const BOT_SETTINGS = {
  SWITCHBOARD_BOT_APP_ID: '11111111-2222-3333-4444-555555555555',
  SWITCHBOARD_TENANT_ID: 'tenant-test',
  SWITCHBOARD_CALLBACK_URL: 'https://bot.example.test/api/calling',
};

export async function startApi(entry = FIXTURE_ENTRY): Promise<ApiHarness> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'api-test-'));
  const idp = await startLocalIdp({ dataDir: path.join(tmp, 'idp') });
  const store = createEmbeddedStore({ dataDir: path.join(tmp, 'store') });
  const graphRequests: string[] = [];
  let graphStatus = 204;
  const graph = new GraphCallsClient({
    baseUrl: 'http://127.0.0.1:9/v1.0',
    tokenProvider: { getToken: () => Promise.resolve('graph-token') },
    retry: { maxRetries: 0 },
    fetch: (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      graphRequests.push(`${init?.method ?? 'GET'} ${url.pathname}`);
      return Promise.resolve(
        new Response(graphStatus === 204 ? null : JSON.stringify({ error: { code: 'x', message: 'x' } }), {
          status: graphStatus,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  });
  configureServices({ store, graph });
  const host = await startLocalHost({
    entry,
    port: 0,
    dataDir: path.join(tmp, 'host'),
    settings: { ...BOT_SETTINGS, ...localIdpSettings(idp) },
  });
  const token = (roles: Role | Role[], user?: string): Promise<string> =>
    idp.issueToken({
      roles: Array.isArray(roles) ? roles : [roles],
      ...(user === undefined ? {} : { user: { preferred_username: user } }),
    });
  return {
    host,
    idp,
    store,
    tmp,
    graphRequests,
    setGraphStatus: (s) => {
      graphStatus = s;
    },
    token,
    async call(method, route, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.as !== null) headers.authorization ??= `Bearer ${await token(options.as ?? 'Reader')}`;
      let body: string | undefined;
      if (typeof options.body === 'string') body = options.body;
      else if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${host.url}/api/${route}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      await host.stop();
      await idp.stop();
      await resetServices();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
