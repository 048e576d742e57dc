import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type HostedDurableHub, type LocalHost } from '../../local/host.js';
import type { LocalHttpRequest } from '../../local/host-contract.js';

const entry = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/apps/durable-client/index.ts',
);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'host-dclient-'));
const seen: { mount: string; req: LocalHttpRequest; origin: string }[] = [];
const bindingOrigins: string[] = [];
let lifecycle: string[] = [];
let host: LocalHost;

/** A fake task hub: records what the host hands it and answers startNew as the extension does. */
function fakeHub(): HostedDurableHub {
  return {
    durableClientBindingData(origin: string): string {
      bindingOrigins.push(origin);
      const pub = `${origin}/runtime/webhooks/durabletask`;
      const q = 'taskHub=FakeHub&connection=Storage&code=k';
      return JSON.stringify({
        taskHubName: 'FakeHub',
        creationUrls: {
          createNewInstancePostUri: `${pub}/orchestrators/{functionName}[/{instanceId}]?code=k`,
          createAndWaitOnNewInstancePostUri: `${pub}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=k`,
        },
        managementUrls: {
          id: 'INSTANCEID',
          statusQueryGetUri: `${pub}/instances/INSTANCEID?${q}`,
          sendEventPostUri: `${pub}/instances/INSTANCEID/raiseEvent/{eventName}?${q}`,
          terminatePostUri: `${pub}/instances/INSTANCEID/terminate?reason={text}&${q}`,
          rewindPostUri: `${pub}/instances/INSTANCEID/rewind?reason={text}&${q}`,
          purgeHistoryDeleteUri: `${pub}/instances/INSTANCEID?${q}`,
          restartPostUri: `${pub}/instances/INSTANCEID/restart?${q}`,
          suspendPostUri: `${pub}/instances/INSTANCEID/suspend?reason={text}&${q}`,
          resumePostUri: `${pub}/instances/INSTANCEID/resume?reason={text}&${q}`,
        },
        baseUrl: pub,
        requiredQueryStringParameters: 'code=k',
        rpcBaseUrl: `${origin}/durabletask/`,
        httpBaseUrl: '',
      });
    },
    handleHttp(mount, req, origin) {
      seen.push({ mount, req, origin });
      if (req.method === 'POST' && req.path.startsWith('orchestrators/')) {
        return Promise.resolve({
          status: 202,
          body: { id: 'inst-42' },
          headers: { location: `${origin}/runtime/webhooks/durabletask/instances/inst-42` },
        });
      }
      return Promise.resolve({
        status: 200,
        body: { path: req.path, query: req.query, body: req.body.toString('utf8') },
      });
    },
    start() {
      lifecycle.push('start');
      return Promise.resolve();
    },
    stop() {
      lifecycle.push('stop');
      return Promise.resolve();
    },
  };
}

beforeAll(async () => {
  host = await startLocalHost({ entry, port: 0, dataDir: tmp, createDurableHub: () => fakeHub() });
});
afterAll(async () => {
  await host?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('local host: durable client binding and Durable HTTP mounts', () => {
  it('passes the hub binding payload to a df.app.client.http function, whose DurableClient calls the rpc mount', async () => {
    expect(lifecycle).toEqual(['start']);
    const res = await fetch(`${host.url}/api/orchestrators/callFlow`, {
      method: 'POST',
      body: JSON.stringify({ callId: 'c-9' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
    const payload = (await res.json()) as { id: string; statusQueryGetUri: string };
    expect(payload.id).toBe('inst-42');
    expect(payload.statusQueryGetUri).toContain('/runtime/webhooks/durabletask/instances/inst-42');
    expect(bindingOrigins).toContain(host.url);
    const start = seen.find((s) => s.req.path === 'orchestrators/callFlow');
    expect(start?.mount).toBe('rpc');
    expect(JSON.parse(start!.req.body.toString('utf8'))).toEqual({ callId: 'c-9' });
  });

  it('routes the public webhook paths with the decoded sub-path, first query values and raw body', async () => {
    const res = await fetch(
      `${host.url}/runtime/webhooks/durabletask/instances/a%20b/raiseEvent/Go?taskHub=H&taskHub=second&code=x`,
      { method: 'POST', body: '{"ok":1}', headers: { 'content-type': 'application/json' } },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      path: 'instances/a b/raiseEvent/Go',
      query: { taskHub: 'H', code: 'x' },
      body: '{"ok":1}',
    });
    expect(seen[seen.length - 1]?.mount).toBe('public');
  });

  it('stops the hub when the host stops', async () => {
    const other = await startLocalHost({
      entry,
      port: 0,
      dataDir: path.join(tmp, 'second'),
      createDurableHub: () => fakeHub(),
    });
    lifecycle = [];
    await other.stop();
    expect(lifecycle).toEqual(['stop']);
    expect((await fetch(`${host.url}/durabletask/instances/x`)).status).toBe(200);
  });
});
