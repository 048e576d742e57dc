import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_BOT, startStack, type Stack } from '../../local/stack.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-stack-'));
const flowsDir = path.join(tmp, 'flows');
fs.cpSync(path.resolve('flows'), flowsDir, { recursive: true });
let stack: Stack | undefined;

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('startStack', () => {
  it('starts host, simulator, Azurite and demo services on loopback; publishes flows and binds numbers', async () => {
    stack = await startStack({ port: 0, dataDir: path.join(tmp, 'data'), flowsDir, quiet: true });
    for (const u of [stack.url, stack.simUrl, stack.servicesUrl, stack.blobUrl])
      expect(new URL(u).hostname).toBe('127.0.0.1');

    const health = await fetch(`${stack.url}/api/health`);
    expect(health.status).toBe(200);
    const sim = (await (await fetch(`${stack.simUrl}/sim/health`)).json()) as { ok: boolean };
    expect(sim.ok).toBe(true);

    expect(stack.flows.map((f) => f.flowId).sort()).toEqual([
      'city-power-outage',
      'contoso-main',
      'pharmacy-refill',
    ]);
    expect(stack.flows.every((f) => f.published && f.version === 1)).toBe(true);
    expect(stack.numbers).toContainEqual({ number: '+14255550100', flowId: 'contoso-main', version: 1 });
    expect((await stack.store.numbers.lookup('+14255550123'))?.flowId).toBe('pharmacy-refill');

    // The app is pointed at the simulator and Azurite (settings copied into the environment).
    expect(process.env.GRAPH_BASE_URL).toBe(stack.sim.graphBaseUrl);
    expect(process.env.SWITCHBOARD_BOT_APP_ID).toBe(LOCAL_BOT.appId);
    expect(process.env.SWITCHBOARD_CALLBACK_URL).toBe(`${stack.url}/api/calling`);
    const blobs = BlobServiceClient.fromConnectionString(process.env.RECORDINGS_STORAGE_CONNECTION ?? '');
    const container = blobs.getContainerClient('probe');
    await container.createIfNotExists();
    await container.getBlockBlobClient('a.txt').upload(Buffer.from('ok'), 2);
    expect((await container.getBlockBlobClient('a.txt').downloadToBuffer()).toString()).toBe('ok');
  });

  it("sends the flows' web-service hosts to the demo services, never off the machine", async () => {
    const s = stack!;
    const res = await fetch('https://api.contoso.example/accounts/123456', { headers: { 'x-caller': '+1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tier: 'gold', name: 'Ann' });
    const undo = s.services.program({
      host: 'outages.citypower.example',
      contains: '+14255550999',
      answer: { status: 503 },
    });
    const post = (caller: string): Promise<Response> =>
      fetch('https://outages.citypower.example/v1/lookup', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ zip: '98052', caller }),
      });
    expect((await post('+14255550999')).status).toBe(503);
    const other = await post('+14255550111');
    expect(await other.json()).toMatchObject({ active: true });
    undo();
    expect((await post('+14255550999')).status).toBe(200);
    expect(s.services.requests().at(-1)).toMatchObject({
      host: 'outages.citypower.example',
      path: '/v1/lookup',
    });
  });

  it('restarts on the same data folder without publishing unchanged flows again; a changed flow gets a new version', async () => {
    await stack!.stop();
    const file = path.join(flowsDir, 'city-power-outage.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Goodbye.', 'Good bye now.'));
    stack = await startStack({ port: 0, dataDir: path.join(tmp, 'data'), flowsDir, quiet: true });
    const byId = Object.fromEntries(stack.flows.map((f) => [f.flowId, f]));
    expect(byId['contoso-main']).toMatchObject({ version: 1, published: false });
    expect(byId['city-power-outage']).toMatchObject({ version: 2, published: true });
    expect((await stack.store.flows.listVersions('contoso-main')).length).toBe(1);
    expect(stack.numbers).toContainEqual({ number: '+14255550150', flowId: 'city-power-outage', version: 2 });
    expect((await fetch(`${stack.url}/api/health`)).status).toBe(200);
  });

  it('refuses to start with an invalid flow, naming file, line and problem', async () => {
    await stack!.stop();
    stack = undefined;
    const bad = path.join(tmp, 'bad-flows');
    fs.mkdirSync(bad);
    fs.writeFileSync(
      path.join(bad, 'broken.yaml'),
      'id: broken\nentry: nowhere\nsteps:\n  a:\n    type: hangup\n',
    );
    await expect(
      startStack({ port: 0, dataDir: path.join(tmp, 'data2'), flowsDir: bad, quiet: true }),
    ).rejects.toThrow(/broken\.yaml:\d+:\d+/);
    // Nothing is left listening or holding the data folder: a second start on it works.
    const again = await startStack({ port: 0, dataDir: path.join(tmp, 'data2'), flowsDir, quiet: true });
    expect(again.flows.length).toBe(3);
    await again.stop();
  });
});
