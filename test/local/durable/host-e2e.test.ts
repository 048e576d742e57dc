// End to end through the local Functions host (local/host.ts): an HTTP-triggered durable client
// function calls df.getClient(context).startNew and returns createCheckStatusResponse; the
// statusQueryGetUri it returns is served by the task hub's public webhook routes on the same port.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../../local/host.js';
import { APP_ENTRY } from '../../fixtures/durable-app/harness.js';

let host: LocalHost;
beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-host-e2e-'));
  process.env.DURABLE_APP_STATE_DIR = path.join(dataDir, 'app-state');
  host = await startLocalHost({ entry: APP_ENTRY, port: 0, dataDir });
});
afterAll(async () => {
  await host?.stop();
});

describe('task hub behind the local Functions host', () => {
  it('starts through df.getClient in an HTTP function and serves the check-status URLs', async () => {
    const start = await fetch(`${host.url}/api/orchestrators/chain`, { method: 'POST' });
    expect(start.status).toBe(202);
    const payload = (await start.json()) as Record<string, string>;
    expect(payload.statusQueryGetUri).toContain(
      `${host.url}/runtime/webhooks/durabletask/instances/${payload.id}`,
    );
    let status = 0;
    let body: Record<string, unknown> = {};
    const end = Date.now() + 15_000;
    while (status !== 200 && Date.now() < end) {
      const r = await fetch(payload.statusQueryGetUri!);
      status = r.status;
      body = (await r.json()) as Record<string, unknown>;
      if (status !== 200) await new Promise((res) => setTimeout(res, 25));
    }
    expect(status).toBe(200);
    expect(body.output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
    const viaClient = (await (await fetch(`${host.url}/api/status/${payload.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(viaClient).toEqual({
      runtimeStatus: 'Completed',
      output: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'],
      historyLength: 5,
    });
  });
});
