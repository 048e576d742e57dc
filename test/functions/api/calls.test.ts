import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewCallRecord } from '../../../shared/store/index.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;

const T0 = Date.parse('2026-11-20T09:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

/** Eight calls over two flows and versions; `live-1` is running in the task hub. */
const calls: NewCallRecord[] = [
  {
    callId: 'c-1',
    from: '+14255550001',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 1,
    startedAt: at(0),
    answeredAt: at(1),
    endedAt: at(60),
    status: 'ended',
    outcome: { kind: 'completed' },
    path: ['start', 'news', 'done'],
  },
  {
    callId: 'c-2',
    from: '+14255550002',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 1,
    startedAt: at(100),
    answeredAt: at(103),
    endedAt: at(130),
    status: 'ended',
    outcome: { kind: 'hungUpByCaller', step: 'start' },
    path: ['start'],
  },
  {
    callId: 'c-3',
    from: '+14255550003',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 2,
    startedAt: at(200),
    answeredAt: at(202),
    endedAt: at(260),
    status: 'ended',
    outcome: { kind: 'transferred' },
    path: ['start', 'agent'],
  },
  {
    callId: 'c-4',
    from: '+14255550004',
    to: '+14255550200',
    flowId: 'other',
    flowVersion: 1,
    startedAt: at(300),
    endedAt: at(301),
    status: 'ended',
    outcome: { kind: 'rejected' },
    path: [],
  },
  {
    callId: 'c-5',
    from: '+14255550005',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 2,
    startedAt: at(400),
    answeredAt: at(401),
    endedAt: at(500),
    status: 'ended',
    outcome: { kind: 'completed' },
    path: ['start', 'news', 'done'],
  },
  {
    callId: 'c-6',
    from: '+14255550006',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 2,
    startedAt: at(500),
    answeredAt: at(505),
    endedAt: at(520),
    status: 'ended',
    outcome: { kind: 'hungUpByCaller' },
    path: ['start'],
  },
  {
    callId: 'c-7',
    from: '+14255550007',
    to: '+14255550300',
    startedAt: at(600),
    endedAt: at(600),
    status: 'ended',
    outcome: { kind: 'rejected', reason: 'noFlowBound' },
  },
  {
    callId: 'live-1',
    from: '+14255550008',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 2,
    startedAt: at(700),
    answeredAt: at(701),
    path: ['start'],
  },
];

beforeAll(async () => {
  api = await startApi();
  for (const c of calls) await api.store.calls.create(c);
  await api.store.timelines.appendMany([
    { callId: 'c-1', seq: 1, at: at(0), kind: 'notification', data: { state: 'incoming' } },
    {
      callId: 'c-1',
      seq: 2,
      at: at(1),
      kind: 'graphRequest',
      durationMs: 120,
      data: { request: 'POST answer', status: 202 },
    },
    { callId: 'c-1', seq: 3, at: at(2), kind: 'step', data: { from: null, to: 'start', reason: 'entry' } },
    {
      callId: 'c-1',
      seq: 4,
      at: at(9),
      kind: 'step',
      data: { from: 'start', to: 'news', reason: 'option:1', input: '1', pii: true },
    },
    { callId: 'c-1', seq: 5, at: at(20), kind: 'step', data: { from: 'news', to: 'done', reason: 'next' } },
    {
      callId: 'c-5',
      seq: 1,
      at: at(402),
      kind: 'step',
      data: { from: 'start', to: 'news', reason: 'option:1' },
    },
    {
      callId: 'c-3',
      seq: 1,
      at: at(203),
      kind: 'step',
      data: { from: 'start', to: 'agent', reason: 'option:2' },
    },
  ]);
  const started = await fetch(`${api.host.url}/api/test/start/live-1`, { method: 'POST' });
  expect(started.status).toBe(202);
  // Wait for the stand-in orchestration to run its first episode (custom status set).
  for (let i = 0; i < 100; i++) {
    const d = await api.call('GET', 'calls/live-1?history=false');
    if (d.body?.orchestration?.runtimeStatus === 'Running' && d.body.orchestration.customStatus) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await api?.stop();
});

const ids = (body: { items: { callId: string }[] }): string[] => body.items.map((c) => c.callId);

describe('ops API: calls', () => {
  it('lists calls newest first with each filter', async () => {
    expect(ids((await api.call('GET', 'calls')).body)).toEqual([
      'live-1',
      'c-7',
      'c-6',
      'c-5',
      'c-4',
      'c-3',
      'c-2',
      'c-1',
    ]);
    expect(ids((await api.call('GET', 'calls?flowId=other')).body)).toEqual(['c-4']);
    expect(ids((await api.call('GET', 'calls?outcome=hungUpByCaller')).body)).toEqual(['c-6', 'c-2']);
    expect(ids((await api.call('GET', 'calls?active=true')).body)).toEqual(['live-1']);
    expect(ids((await api.call('GET', 'calls?number=%2B14255550200')).body)).toEqual(['c-4']);
    expect(ids((await api.call('GET', `calls?from=${at(200)}&to=${at(400)}`)).body)).toEqual(['c-4', 'c-3']);
  });

  it('pages with continuation', async () => {
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const q = `calls?limit=3${next ? `&continuation=${encodeURIComponent(next)}` : ''}`;
      const res = await api.call('GET', q, { as: 'Operator' });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(res.body));
      next = res.body.continuation;
      pages++;
    } while (next !== undefined && pages < 10);
    expect(seen).toEqual(['live-1', 'c-7', 'c-6', 'c-5', 'c-4', 'c-3', 'c-2', 'c-1']);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('answers bad filters with 400 naming the query field', async () => {
    for (const [q, field] of [
      ['from=yesterday', 'from'],
      ['limit=0', 'limit'],
      ['limit=500', 'limit'],
      ['active=yes', 'active'],
      [`from=${at(10)}&to=${at(5)}`, 'to'],
    ] as const) {
      const res = await api.call('GET', `calls?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.details, q).toMatchObject({ where: 'query', field });
    }
    const badContinuation = await api.call('GET', 'calls?continuation=garbage');
    expect(badContinuation.status).toBe(400);
  });

  it("shows a call's record, timeline (with Graph request durations) and no orchestration when the hub has none", async () => {
    const res = await api.call('GET', 'calls/c-1');
    expect(res.status).toBe(200);
    expect(res.body.call).toMatchObject({ callId: 'c-1', outcome: { kind: 'completed' } });
    expect(res.body.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'notification',
      'graphRequest',
      'step',
      'step',
      'step',
    ]);
    expect(res.body.timeline[1].durationMs).toBe(120);
    expect(res.body.orchestration).toBeNull();
    expect((await api.call('GET', 'calls/nope')).status).toBe(404);
  });

  it("shows a live call's orchestration status and history from the durable client", async () => {
    const res = await api.call('GET', 'calls/live-1');
    expect(res.status).toBe(200);
    const o = res.body.orchestration;
    expect(o).toMatchObject({
      instanceId: 'live-1',
      name: 'call',
      runtimeStatus: 'Running',
      customStatus: { step: 'mainMenu' },
    });
    expect(o.input).toBeUndefined();
    const types = (o.history as { EventType: string }[]).map((e) => e.EventType);
    expect(types).toContain('ExecutionStarted');
    const noHistory = await api.call('GET', 'calls/live-1?history=false');
    expect(noHistory.body.orchestration.history).toBeUndefined();
  });

  it('terminates an active call: hangs up through Graph, terminates the instance, records who', async () => {
    const res = await api.call('POST', 'calls/live-1/terminate', {
      body: { reason: 'stuck in a loop' },
      headers: { authorization: `Bearer ${await api.token('Operator', 'olga@contoso.test')}` },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      callId: 'live-1',
      terminatedBy: 'olga@contoso.test',
      via: 'durableTerminate',
    });
    expect(api.graphRequests).toContain('DELETE /v1.0/communications/calls/live-1');
    const detail = await api.call('GET', 'calls/live-1');
    expect(detail.body.call).toMatchObject({
      status: 'ended',
      outcome: { kind: 'terminated', reason: 'operator', by: 'olga@contoso.test' },
    });
    expect(detail.body.timeline.at(-1)).toMatchObject({
      kind: 'operator',
      data: { action: 'terminate', by: 'olga@contoso.test', reason: 'stuck in a loop' },
    });
    let status = detail.body.orchestration.runtimeStatus;
    for (let i = 0; i < 100 && status !== 'Terminated'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await api.call('GET', 'calls/live-1?history=false')).body.orchestration.runtimeStatus;
    }
    expect(status).toBe('Terminated');
  });

  it('refuses to terminate an ended call (409) or an unknown one (404)', async () => {
    const ended = await api.call('POST', 'calls/live-1/terminate', { as: 'Operator' });
    expect(ended.status).toBe(409);
    expect(ended.body.error.code).toBe('API.CONFLICT');
    expect((await api.call('POST', 'calls/nope/terminate', { as: 'Operator' })).status).toBe(404);
  });

  it('surfaces a Graph failure on hang-up as 502 and leaves the call active', async () => {
    await api.store.calls.create({
      callId: 'live-2',
      from: '+14255550009',
      to: '+14255550100',
      flowId: 'main',
      flowVersion: 2,
      startedAt: at(800),
    });
    api.setGraphStatus(403);
    try {
      const res = await api.call('POST', 'calls/live-2/terminate', { as: 'Operator' });
      expect(res.status).toBe(502);
      expect(res.body.error.code).toMatch(/^GRAPH\./);
      expect((await api.store.calls.get('live-2'))?.status).toBe('active');
    } finally {
      api.setGraphStatus(204);
    }
  });
});

describe('ops API: metrics', () => {
  it('counts calls, outcomes, abandonment, time to answer, steps and branches per flow version', async () => {
    const res = await api.call('GET', `metrics?flowId=main&to=${at(700)}`);
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(false);
    const [v1, v2] = res.body.items;
    expect(v1).toMatchObject({
      flowId: 'main',
      version: 1,
      calls: 2,
      answered: 2,
      outcomes: { completed: 1, hungUpByCaller: 1 },
      abandoned: 1,
      abandonmentRate: 0.5,
      timeToAnswerMs: { count: 2, avg: 2000, p50: 1000, p90: 3000, max: 3000 },
      steps: { start: 2, news: 1, done: 1 },
      branches: { 'start --option:1--> news': 1, 'news --next--> done': 1 },
    });
    expect(v2).toMatchObject({
      version: 2,
      calls: 3,
      outcomes: { transferred: 1, completed: 1, hungUpByCaller: 1 },
      abandoned: 1,
      steps: { start: 3, agent: 1, news: 1, done: 1 },
      branches: { 'start --option:2--> agent': 1, 'start --option:1--> news': 1 },
    });
    const one = await api.call('GET', 'metrics?flowId=main&version=1');
    expect(one.body.items.map((m: { version: number }) => m.version)).toEqual([1]);
    const all = await api.call('GET', 'metrics');
    expect(all.body.items.map((m: { flowId: string }) => m.flowId)).toEqual(['main', 'main', 'other']);
    const bad = await api.call('GET', 'metrics?version=2');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toMatchObject({ where: 'query', field: 'version' });
  });
});
