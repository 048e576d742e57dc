import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../local/host.js';

const entry = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/apps/durable-e2e/index.ts',
);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'host-durable-'));
let host: LocalHost;

beforeAll(async () => {
  host = await startLocalHost({ entry, port: 0, dataDir: tmp });
});
afterAll(async () => {
  await host?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function pollStatus(
  id: string,
  until: (s: { runtimeStatus: string; customStatus?: unknown }) => boolean,
): Promise<{ runtimeStatus: string; output: unknown; customStatus: unknown }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = (await (await fetch(`${host.url}/api/status/${id}`)).json()) as {
      runtimeStatus: string;
      output: unknown;
      customStatus: unknown;
    };
    if (until(s)) return s;
    if (Date.now() > deadline) throw new Error(`instance ${id} stuck in ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('local host with the real task hub', () => {
  it('runs an orchestration started, raised and queried through DurableClient over HTTP', async () => {
    expect(host.hub).toBeDefined();
    const started = await fetch(`${host.url}/api/start/shoutThenWait`, { method: 'POST', body: 'hi there' });
    expect(started.status).toBe(202);
    const { id, statusQueryGetUri } = (await started.json()) as { id: string; statusQueryGetUri: string };
    expect(statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)).toBe(
      true,
    );
    await pollStatus(id, (s) => JSON.stringify(s.customStatus ?? null).includes('waiting'));
    expect(
      (
        await fetch(`${host.url}/api/approve/${id}`, {
          method: 'POST',
          body: JSON.stringify({ by: 'alice' }),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(202);
    const done = await pollStatus(id, (s) => s.runtimeStatus === 'Completed' || s.runtimeStatus === 'Failed');
    expect(done).toMatchObject({
      runtimeStatus: 'Completed',
      output: { first: 'HI THERE', approval: { by: 'alice' } },
    });

    const pub = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}`);
    expect(pub.status).toBe(200);
    expect(await pub.json()).toMatchObject({ instanceId: id, runtimeStatus: 'Completed' });
  });
});
