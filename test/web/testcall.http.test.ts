import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSimClock, startGraphSimulator, type GraphSimulator } from '../../local/graph-sim/index.js';
import { startLocalHost, type LocalHost } from '../../local/host.js';
import { localIdpSettings, startLocalIdp, type LocalIdp } from '../../local/idp.js';
import { createEmbeddedStore } from '../../local/store/embedded.store.js';
import type { Role } from '../../shared/api/permissions.js';
import { loadConfig } from '../../shared/config/config.js';
import { AppError } from '../../shared/errors/app-error.js';
import { GraphCallsClient } from '../../shared/graph/calls-client.js';
import type { InboundTokenValidator } from '../../shared/graph/inbound-auth.js';
import { configureServices, resetServices } from '../../shared/services.js';

const BOT = '11111111-2222-3333-4444-555555555555';
let tmp: string;
let sim: GraphSimulator;
let idp: LocalIdp;
let host: LocalHost;

async function api(method: string, route: string, as: Role[] | null, body?: object) {
  const headers: Record<string, string> = {};
  if (as !== null) headers.authorization = `Bearer ${await idp.issueToken({ roles: as })}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${host.url}/api/${route}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'testcall-api-'));
  // The bot's webhook is not running here: the simulated call rings, which is all these routes need.
  sim = await startGraphSimulator({
    botAppId: BOT,
    defaultCallbackUri: 'http://127.0.0.1:9/api/calling',
    clock: createSimClock({ speed: 20 }),
  });
  idp = await startLocalIdp({ dataDir: path.join(tmp, 'idp') });
  configureServices({
    store: createEmbeddedStore({ dataDir: path.join(tmp, 'store') }),
    graph: new GraphCallsClient({
      baseUrl: sim.graphBaseUrl,
      tokenProvider: { getToken: () => Promise.resolve('t') },
    }),
    inboundAuth: { validate: () => Promise.reject(new Error('not used')) } satisfies InboundTokenValidator,
  });
  host = await startLocalHost({
    entry: path.join(import.meta.dirname, 'testcall-app.ts'),
    port: 0,
    dataDir: path.join(tmp, 'host'),
    settings: {
      SWITCHBOARD_BOT_APP_ID: BOT,
      SWITCHBOARD_TENANT_ID: 'tenant-test',
      SWITCHBOARD_CALLBACK_URL: 'http://127.0.0.1:9/api/calling',
      GRAPH_BASE_URL: sim.graphBaseUrl,
      ...localIdpSettings(idp),
    },
  });
});

afterAll(async () => {
  await host?.stop();
  await idp?.stop();
  await sim?.stop();
  await resetServices();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('test-call API', () => {
  it('needs a token, and a role that may edit flows', async () => {
    expect((await api('POST', 'testcalls', null, { to: '+14255550100' })).status).toBe(401);
    for (const role of ['Reader', 'Operator'] as const) {
      const res = await api('POST', 'testcalls', [role], { to: '+14255550100' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('API.FORBIDDEN');
    }
    expect((await api('GET', 'testcalls/nope', ['Reader'])).status).toBe(403);
  });

  it('refuses bad input with where and what', async () => {
    const noTo = await api('POST', 'testcalls', ['FlowEditor'], {});
    expect(noTo.status).toBe(400);
    expect(noTo.body.error.details).toMatchObject({ where: 'body', field: 'to' });
    const badFrom = await api('POST', 'testcalls', ['FlowEditor'], { to: '+14255550100', from: '555' });
    expect(badFrom.body.error.details).toMatchObject({ field: 'from' });
    expect((await api('GET', 'testcalls/no-such-call', ['FlowEditor'])).status).toBe(404);
  });

  it('places a call, presses keys on it, shows the transcript and hangs up', async () => {
    for (const role of ['FlowEditor', 'FlowPublisher'] as const) {
      const placed = await api('POST', 'testcalls', [role], { to: '+14255550100' });
      expect(placed.status).toBe(201);
      const callId = placed.body.callId as string;
      expect(sim.call(callId)?.direction).toBe('incoming');

      const badKeys = await api('POST', `testcalls/${callId}/keys`, [role], { keys: '1<b>' });
      expect(badKeys.status).toBe(400);
      expect(badKeys.body.error.details).toMatchObject({ field: 'keys' });
      expect((await api('POST', `testcalls/${callId}/keys`, [role], { keys: '1#' })).status).toBe(202);
      await expect
        .poll(() => sim.call(callId)?.transcript.filter((e) => e.type === 'keyPressed').length)
        .toBe(2);

      const shown = await api('GET', `testcalls/${callId}`, [role]);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ callId, state: 'incoming', outcome: null });
      expect(
        shown.body.transcript
          .filter((e: { type: string }) => e.type === 'keyPressed')
          .map((e: { key: string }) => e.key),
      ).toEqual(['1', '#']);

      expect((await api('POST', `testcalls/${callId}/hangup`, [role])).status).toBe(202);
      const ended = await api('GET', `testcalls/${callId}`, [role]);
      expect(ended.body).toMatchObject({ state: 'terminated', outcome: { reason: 'callerHungUp' } });
    }
  });

  it('is not available against Microsoft Graph (no simulator to drive)', async () => {
    // Imported only now: loaded before the local host, @azure/functions would switch to test mode.
    const { simulatorOrigin } = await import('../../functions/api/testcall.http.js');
    const env = {
      SWITCHBOARD_BOT_APP_ID: BOT,
      SWITCHBOARD_TENANT_ID: 't',
      SWITCHBOARD_CALLBACK_URL: 'https://bot.example.test/api/calling',
    };
    const err = (() => {
      try {
        simulatorOrigin({ config: loadConfig(env) });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('API.NOT_FOUND');
    expect((err as AppError).message).toContain('local Graph simulator');
    expect(simulatorOrigin({ config: loadConfig({ ...env, GRAPH_BASE_URL: sim.graphBaseUrl }) })).toBe(
      new URL(sim.graphBaseUrl).origin,
    );
  });
});
