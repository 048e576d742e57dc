// The Durable application patterns from Microsoft's docs, run by the local task hub through the
// real durable-functions replay executor and driven through the real DurableClient over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, until, type Harness } from '../../fixtures/durable-app/harness.js';
import { EventType } from '../../../local/durable/history.js';

let h: Harness;
// The test app's `nondeterministic` orchestration reads this flag (importing the app statically
// would load @azure/functions before the local host installs its core module).
const useActivityB = (on: boolean): void => {
  (globalThis as { __durableAppUseB?: boolean }).__durableAppUseB = on;
};
beforeAll(async () => {
  h = await startHarness({ maxConcurrentActivityFunctions: 16 });
});
afterAll(async () => {
  await h.close();
});

async function done(id: string, timeoutMs = 20_000) {
  const inst = await h.hub.waitForCompletion(id, timeoutMs);
  return inst;
}

describe('Durable patterns on the local task hub', () => {
  it('function chaining: runs activities in order and returns their results', async () => {
    const id = await h.client.startNew('chain');
    await done(id);
    const st = await h.client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    expect(st.runtimeStatus).toBe('Completed');
    expect(st.output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
    type Rendered = { EventType: string; Result?: unknown; FunctionName?: string };
    const completed = ((st.history ?? []) as Rendered[]).filter((e) => e.EventType === 'TaskCompleted');
    expect(completed.map((e) => e.Result)).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
    expect(completed.every((e) => e.FunctionName === 'sayHello')).toBe(true);
  });

  it('fan-out/fan-in: 1,000 parallel activities, each result recorded once', async () => {
    const id = await h.client.startNew('fanOut', { input: 1000 });
    const inst = await done(id, 60_000);
    expect(inst.status).toBe('Completed');
    let sum = 0;
    for (let i = 0; i < 1000; i++) sum += i * i;
    expect(JSON.parse(inst.output ?? 'null')).toBe(sum);
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    const ids = history.filter((e) => e.EventType === EventType.TaskCompleted).map((e) => e.TaskScheduledId);
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
  });

  it('async HTTP API: start returns 202 + Location, polling it gives 202 then 200 with the output', async () => {
    const start = await fetch(`${h.origin}/runtime/webhooks/durabletask/orchestrators/monitor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'http-api', readyAfter: 3, intervalMs: 100, maxPolls: 10 }),
    });
    expect(start.status).toBe(202);
    const payload = (await start.json()) as Record<string, string>;
    const location = start.headers.get('location');
    expect(location).toBe(payload.statusQueryGetUri);
    expect(payload.id).toBeTruthy();
    expect(payload.sendEventPostUri).toContain(`/instances/${payload.id}/raiseEvent/{eventName}`);
    const first = await fetch(location!);
    expect(first.status).toBe(202);
    let last = first;
    await until(async () => {
      last = await fetch(location!);
      return last.status === 200;
    });
    const body = (await last.json()) as { runtimeStatus: string; output: unknown; input: unknown };
    expect(body.runtimeStatus).toBe('Completed');
    expect(body.output).toEqual({ polls: 3 });
    expect(body.input).toEqual({ key: 'http-api', readyAfter: 3, intervalMs: 100, maxPolls: 10 });
  });

  it('monitor: polls on durable timers and exposes progress as custom status', async () => {
    const id = await h.client.startNew('monitor', {
      input: { key: 'mon', readyAfter: 4, intervalMs: 50, maxPolls: 10 },
    });
    const inst = await done(id);
    expect(JSON.parse(inst.output ?? 'null')).toEqual({ polls: 4 });
    expect(JSON.parse(inst.customStatus ?? 'null')).toEqual({ poll: 4, status: 'Completed' });
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    expect(history.filter((e) => e.EventType === EventType.TimerFired)).toHaveLength(3);
  });

  it('human interaction: the external event wins over the timer and the timer is cancelled', async () => {
    const id = await h.client.startNew('approval', { input: 5_000 });
    await until(async () => (await h.client.getStatus(id)).customStatus === 'waiting');
    await h.client.raiseEvent(id, 'Approval', { by: 'alice' });
    const inst = await done(id);
    expect(JSON.parse(inst.output ?? 'null')).toEqual({ approved: { by: 'alice' } });
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    expect(history.some((e) => e.EventType === EventType.TimerFired)).toBe(false);
  });

  it('human interaction: the timer wins when no event arrives', async () => {
    const id = await h.client.startNew('approval', { input: 150 });
    const inst = await done(id);
    expect(JSON.parse(inst.output ?? 'null')).toEqual({ escalated: true });
  });

  it('external events are buffered until awaited and delivered in order', async () => {
    const id = await h.client.startNew('twoEvents');
    await h.client.raiseEvent(id, 'Other', 'o');
    await h.client.raiseEvent(id, 'Step', 1);
    await h.client.raiseEvent(id, 'Step', 2);
    const inst = await done(id);
    expect(JSON.parse(inst.output ?? 'null')).toEqual([1, 2, 'o']);
  });

  it('eternal orchestration: continue-as-new starts fresh executions until the limit', async () => {
    const id = await h.client.startNew('eternal', { input: { n: 0, limit: 5 } });
    const inst = await done(id);
    expect(inst.status).toBe('Completed');
    expect(JSON.parse(inst.output ?? 'null')).toEqual({ n: 5, executions: 6 });
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    // Only the last execution's history is kept, as in Azure.
    expect(history.filter((e) => e.EventType === EventType.ExecutionStarted)).toHaveLength(1);
    expect(
      JSON.parse(history.find((e) => e.EventType === EventType.ExecutionStarted)?.Input ?? 'null'),
    ).toEqual({ n: 5, limit: 5 });
  });

  it('sub-orchestrations: with and without explicit ids; a child failure propagates to the parent', async () => {
    const id = await h.client.startNew('parent');
    const inst = await done(id);
    expect(inst.status).toBe('Completed');
    const out = JSON.parse(inst.output ?? 'null');
    expect(out.withId).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
    expect(out.withoutId).toBe(0 + 1 + 4 + 9);
    expect(out.childError).toContain("Orchestrator function 'failing' failed");
    expect(out.childError).toContain('boom: x');
    const child = await h.client.getStatus(`${id}-child`);
    expect(child.runtimeStatus).toBe('Completed');
  });

  it('activity retry: retries with the configured interval and succeeds', async () => {
    const t0 = Date.now();
    const id = await h.client.startNew('retry', {
      input: { key: `r-${Date.now()}`, failures: 2, maxAttempts: 3, firstMs: 100, coefficient: 2 },
    });
    const inst = await done(id);
    const elapsed = Date.now() - t0;
    expect(inst.status).toBe('Completed');
    expect(JSON.parse(inst.output ?? 'null')).toEqual({ result: 'ok after 3', after: 'after' });
    // Two retry delays: 100 ms then 200 ms (backoff coefficient 2).
    expect(elapsed).toBeGreaterThanOrEqual(300);
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    expect(history.filter((e) => e.EventType === EventType.TaskFailed)).toHaveLength(2);
    expect(history.filter((e) => e.EventType === EventType.TimerFired)).toHaveLength(2);
  });

  it('activity retry: fails the orchestration after the maximum number of attempts', async () => {
    const id = await h.client.startNew('retry', {
      input: { key: `x-${Date.now()}`, failures: 5, maxAttempts: 2, firstMs: 20 },
    });
    const inst = await done(id);
    expect(inst.status).toBe('Failed');
    expect(JSON.parse(inst.output ?? 'null')).toContain('flaky attempt 2 failed');
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    expect(history.filter((e) => e.EventType === EventType.TaskScheduled)).toHaveLength(2);
  });

  it('sub-orchestration retry: a failed child is run again under its id and its result returned', async () => {
    const id = await h.client.startNew('subRetry', { input: `sr-${Date.now()}` });
    const inst = await done(id);
    expect(inst.status).toBe('Completed');
    expect(JSON.parse(inst.output ?? 'null')).toBe('ok after 2');
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    expect(history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceFailed)).toHaveLength(1);
    expect(history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCompleted)).toHaveLength(
      1,
    );
  });

  it('activity retry inside Task.all: results land on the right tasks (replayed sequence ids match)', async () => {
    const id = await h.client.startNew('parallelRetries', { input: `pr-${Date.now()}` });
    const inst = await done(id);
    expect(inst.status).toBe('Completed');
    expect(JSON.parse(inst.output ?? 'null')).toEqual([
      'ok after 2',
      'Hello Oslo!',
      'ok after 3',
      49,
      'Hello Lima!',
    ]);
  });

  it('activity retry: the retry timeout stops further attempts', async () => {
    const id = await h.client.startNew('retryTimeout', {
      // Room for a first retry on a loaded machine; at most ~7 attempts fit in 600 ms (50 allowed).
      input: { key: `rt-${Date.now()}`, firstMs: 100, timeoutMs: 600 },
    });
    const inst = await done(id);
    expect(inst.status).toBe('Failed');
    const history = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
    const attempts = history.filter((e) => e.EventType === EventType.TaskScheduled).length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThan(10);
  });

  it('error handling: a failed activity surfaces as an exception the orchestrator can catch', async () => {
    const id = await h.client.startNew('compensate');
    const inst = await done(id);
    expect(inst.status).toBe('Completed');
    const out = JSON.parse(inst.output ?? 'null');
    expect(out.caught).toContain("Activity function 'boom' failed: boom: step1");
    expect(out.undone).toBe('undo step1');
  });

  it('an uncaught activity failure fails the instance with the Azure-style message', async () => {
    const id = await h.client.startNew('failing', { input: 'y' });
    const inst = await done(id);
    expect(inst.status).toBe('Failed');
    const st = await h.client.getStatus(id);
    expect(String(st.output)).toMatch(/^Orchestrator function 'failing' failed: .*boom: y/);
    // No stack frames (file paths of this machine) in the output or the history a caller can read.
    const res = await fetch(`${h.origin}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`);
    const body = await res.text();
    expect(body).toContain('"Details":"Error: boom: y"');
    expect(body).not.toMatch(/\\n\s+at /);
    expect(body).not.toContain('index.ts:');
  });

  it('termination: a waiting instance becomes Terminated with the reason as output; events then get 410', async () => {
    const id = await h.client.startNew('waitForever');
    await until(async () => String((await h.client.getStatus(id)).runtimeStatus) === 'Running');
    await h.client.terminate(id, 'enough');
    const inst = await done(id);
    expect(inst.status).toBe('Terminated');
    expect(JSON.parse(inst.output ?? 'null')).toBe('enough');
    const r = await fetch(`${h.origin}/durabletask/instances/${id}/raiseEvent/never`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '1',
    });
    expect(r.status).toBe(410);
  });

  it('an unsupported action (durable entities) fails the instance with a clear message', async () => {
    const id = await h.client.startNew('usesEntity');
    const inst = await done(id);
    expect(inst.status).toBe('Failed');
    expect(JSON.parse(inst.output ?? 'null')).toContain('does not support callEntity');
  });

  it('nondeterminism: a replay that schedules a different activity fails the instance with a clear error', async () => {
    useActivityB(false);
    const id = await h.client.startNew('nondeterministic');
    await until(() =>
      (h.hub.getStatus(id, { showHistory: true })?.history ?? []).some(
        (e) => e.EventType === EventType.TaskCompleted,
      ),
    );
    await until(async () => String((await h.client.getStatus(id)).runtimeStatus) === 'Running');
    useActivityB(true);
    try {
      await h.client.raiseEvent(id, 'Continue', null);
      const inst = await done(id);
      expect(inst.status).toBe('Failed');
      const msg = JSON.parse(inst.output ?? 'null') as string;
      expect(msg).toContain('Non-Deterministic workflow detected');
      expect(msg).toContain("'activityA'");
      expect(msg).toContain("'activityB'");
    } finally {
      useActivityB(false);
    }
  });
});
