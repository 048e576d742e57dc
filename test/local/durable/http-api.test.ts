// The task hub's Durable HTTP API: the operations DurableClient calls on rpcBaseUrl (list with
// filters and continuation paging, purge, suspend/resume, rewind, errors) and the public webhook
// routes Azure serves, exercised with the real DurableClient and plain HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, until, type Harness } from '../../fixtures/durable-app/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const statusOf = async (id: string): Promise<string> => String((await h.client.getStatus(id)).runtimeStatus);

describe('Durable HTTP API of the local task hub', () => {
  it('serves a binding payload whose rpcBaseUrl ends with / and whose URLs point at the origin', () => {
    const data = JSON.parse(h.hub.durableClientBindingData(h.origin)) as {
      taskHubName: string;
      rpcBaseUrl: string;
      managementUrls: Record<string, string>;
      creationUrls: Record<string, string>;
    };
    expect(data.taskHubName).toBe('TestHub');
    expect(data.rpcBaseUrl).toBe(`${h.origin}/durabletask/`);
    expect(data.managementUrls.statusQueryGetUri).toBe(
      `${h.origin}/runtime/webhooks/durabletask/instances/INSTANCEID?taskHub=TestHub&connection=Storage`,
    );
    expect(data.creationUrls.createNewInstancePostUri).toContain(
      '/orchestrators/{functionName}[/{instanceId}]',
    );
  });

  it('start with an explicit id: 409 while the instance runs, allowed again once it is terminal', async () => {
    const id = `dup-${Date.now()}`;
    await h.client.startNew('waitForever', { instanceId: id });
    await expect(h.client.startNew('waitForever', { instanceId: id })).rejects.toThrow();
    const r = await fetch(`${h.origin}/durabletask/orchestrators/waitForever/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    expect(r.status).toBe(409);
    await h.client.terminate(id, 'stop');
    await until(async () => (await statusOf(id)) === 'Terminated');
    expect(await h.client.startNew('chain', { instanceId: id })).toBe(id);
    await h.hub.waitForCompletion(id);
    expect(await statusOf(id)).toBe('Completed');
  });

  it('start of an unknown orchestrator is a 400; status of an unknown instance is a 404', async () => {
    const r = await fetch(`${h.origin}/durabletask/orchestrators/noSuchOrchestrator`, {
      method: 'POST',
      body: '',
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { code: string }).code).toBe('DURABLE.ORCHESTRATOR_NOT_FOUND');
    const s = await fetch(`${h.origin}/durabletask/instances/nope`);
    expect(s.status).toBe(404);
    await expect(h.client.getStatus('nope')).rejects.toThrow();
    await expect(h.client.raiseEvent('nope', 'x', 1)).rejects.toThrow(/No instance with ID/);
  });

  it('lists with filters and follows x-ms-continuation-token paging', async () => {
    const prefix = `page-${Date.now()}-`;
    const from = new Date(Date.now() - 1000);
    for (let i = 0; i < 5; i++) await h.client.startNew('chain', { instanceId: `${prefix}${i}` });
    for (let i = 0; i < 5; i++) await h.hub.waitForCompletion(`${prefix}${i}`);
    const first = await fetch(`${h.origin}/durabletask/instances/?instanceIdPrefix=${prefix}&top=2`);
    expect(first.status).toBe(200);
    expect(((await first.json()) as unknown[]).length).toBe(2);
    const token = first.headers.get('x-ms-continuation-token');
    expect(token).toBeTruthy();
    const second = await fetch(`${h.origin}/durabletask/instances/?instanceIdPrefix=${prefix}&top=2`, {
      headers: { 'x-ms-continuation-token': token! },
    });
    const ids = ((await second.json()) as { instanceId: string }[]).map((x) => x.instanceId);
    expect(ids).toEqual([`${prefix}2`, `${prefix}3`]);
    const all = await h.client.getStatusAll();
    expect(all.filter((s) => s.instanceId.startsWith(prefix))).toHaveLength(5);
    const completed = await h.client.getStatusBy({
      createdTimeFrom: from,
      runtimeStatus: ['Completed' as never],
    });
    expect(completed.filter((s) => s.instanceId.startsWith(prefix))).toHaveLength(5);
    const running = await h.client.getStatusBy({
      createdTimeFrom: from,
      runtimeStatus: ['Running' as never],
    });
    expect(running.filter((s) => s.instanceId.startsWith(prefix))).toHaveLength(0);
  });

  it('answers 400, not a database error, for paging numbers that are not whole numbers', async () => {
    for (const [query, headers] of [
      ['top=1e3', {}],
      ['top=0', {}],
      ['top=99999999999999999999', {}],
      ['', { 'x-ms-continuation-token': '99999999999999999999999' }],
      ['', { 'x-ms-continuation-token': 'abc' }],
    ] as const) {
      const res = await fetch(`${h.origin}/runtime/webhooks/durabletask/instances?${query}`, { headers });
      expect(res.status, `${query} ${JSON.stringify(headers)}`).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('DURABLE.BAD_REQUEST');
    }
    // A token past the end is an empty last page.
    const past = await fetch(`${h.origin}/runtime/webhooks/durabletask/instances`, {
      headers: { 'x-ms-continuation-token': '1000000' },
    });
    expect(past.status).toBe(200);
    expect(await past.json()).toEqual([]);
    expect(past.headers.get('x-ms-continuation-token')).toBeNull();
  });

  it('purges one instance and by filter', async () => {
    const a = await h.client.startNew('chain');
    const b = await h.client.startNew('chain');
    await h.hub.waitForCompletion(a);
    await h.hub.waitForCompletion(b);
    expect((await h.client.purgeInstanceHistory(a)).instancesDeleted).toBe(1);
    await expect(h.client.getStatus(a)).rejects.toThrow();
    const from = new Date(Date.now() - 60_000);
    const result = await h.client.purgeInstanceHistoryBy({
      createdTimeFrom: from,
      runtimeStatus: ['Completed' as never],
    });
    expect(result.instancesDeleted).toBeGreaterThanOrEqual(1);
    expect(h.hub.getStatus(b)).toBeUndefined();
  });

  it('suspends and resumes: events are kept while suspended and processed after resume', async () => {
    const id = await h.client.startNew('twoEvents');
    await until(async () => (await statusOf(id)) === 'Running');
    await h.client.suspend(id, 'pause');
    await until(async () => (await statusOf(id)) === 'Suspended');
    await h.client.raiseEvent(id, 'Step', 1);
    await h.client.raiseEvent(id, 'Step', 2);
    await h.client.raiseEvent(id, 'Other', 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(await statusOf(id)).toBe('Suspended');
    await h.client.resume(id, 'go');
    const inst = await h.hub.waitForCompletion(id);
    expect(JSON.parse(inst.output ?? 'null')).toEqual([1, 2, 3]);
  });

  it('rewinds a failed instance: the failed activity runs again and the instance completes', async () => {
    const id = await h.client.startNew('flakyOnce', { input: `rw-${Date.now()}` });
    const failed = await h.hub.waitForCompletion(id);
    expect(failed.status).toBe('Failed');
    await h.client.rewind(id, 'try again');
    await until(async () => (await statusOf(id)) === 'Completed');
    const st = await h.client.getStatus(id);
    expect(st.output).toBe('ok after 2');
  });

  it('rewind of an instance that is not Failed is rejected (412)', async () => {
    const id = await h.client.startNew('chain');
    await h.hub.waitForCompletion(id);
    const r = await fetch(`${h.origin}/durabletask/instances/${id}/rewind?reason=x`, { method: 'POST' });
    expect(r.status).toBe(412);
  });

  it('restart: with a new instance id, and under the same id once terminal', async () => {
    const id = await h.client.startNew('monitor', {
      input: { key: `rs-${Date.now()}`, readyAfter: 1, intervalMs: 10, maxPolls: 2 },
    });
    await h.hub.waitForCompletion(id);
    const r = await fetch(`${h.origin}/runtime/webhooks/durabletask/instances/${id}/restart`, {
      method: 'POST',
    });
    expect(r.status).toBe(202);
    const newId = ((await r.json()) as { id: string }).id;
    expect(newId).not.toBe(id);
    const restarted = await h.hub.waitForCompletion(newId);
    expect(restarted.input).toBe(h.hub.getStatus(id)?.instance.input);
    const same = await fetch(
      `${h.origin}/runtime/webhooks/durabletask/instances/${id}/restart?restartWithNewInstanceId=false`,
      { method: 'POST' },
    );
    expect(((await same.json()) as { id: string }).id).toBe(id);
  });

  it('start and wait (createAndWaitOnNewInstancePostUri): 200 with the output when it finishes in time', async () => {
    const r = await fetch(
      `${h.origin}/runtime/webhooks/durabletask/orchestrators/chain?timeout=10&pollingInterval=1`,
      { method: 'POST' },
    );
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
    const slow = await fetch(
      `${h.origin}/runtime/webhooks/durabletask/orchestrators/waitForever?timeout=0.2`,
      { method: 'POST' },
    );
    expect(slow.status).toBe(202);
  });

  it('public webhook routes: status, raise event and terminate on /runtime/webhooks/durabletask', async () => {
    const pub = `${h.origin}/runtime/webhooks/durabletask`;
    const start = await fetch(`${pub}/orchestrators/twoEvents`, { method: 'POST' });
    expect(start.status).toBe(202);
    const { id, sendEventPostUri, terminatePostUri } = (await start.json()) as Record<string, string>;
    const raise = await fetch(sendEventPostUri!.replace('{eventName}', 'Step'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"a"',
    });
    expect(raise.status).toBe(202);
    const noJson = await fetch(sendEventPostUri!.replace('{eventName}', 'Step'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'a',
    });
    expect(noJson.status).toBe(400);
    const running = await fetch(`${pub}/instances/${id}?showHistory=true`);
    expect(running.status).toBe(202);
    const body = (await running.json()) as Record<string, unknown>;
    expect(body).toHaveProperty('input');
    expect(body).toHaveProperty('output');
    expect(Array.isArray(body.historyEvents)).toBe(true);
    expect(body.history).toEqual(body.historyEvents);
    const term = await fetch(terminatePostUri!.replace('{text}', 'bye'), { method: 'POST' });
    expect(term.status).toBe(202);
    await until(async () => (await fetch(`${pub}/instances/${id}`)).status === 200);
    const final = (await (await fetch(`${pub}/instances/${id}`)).json()) as Record<string, unknown>;
    expect(final.runtimeStatus).toBe('Terminated');
    expect(final.output).toBe('bye');
  });
});
