// Crash safety of the local task hub: the hub runs in a child process that is killed with SIGKILL
// while instances wait on an activity, a timer, an external event and a sub-orchestration; a new
// process on the same data folder must finish every instance with each history event recorded once.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType, type HistoryEvent } from '../../../local/durable/history.js';
import { HubStore, type InstanceRecord } from '../../../local/durable/store.js';

const RUN_HUB = path.resolve('test/fixtures/durable-app/run-hub.ts');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-crash-'));
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-crash-state-'));
const children = new Set<ChildProcess>();

async function startHub(): Promise<{ proc: ChildProcess; origin: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', RUN_HUB, dataDir, stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout });
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${stderr}`)), 30_000);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { origin?: string };
        if (msg.origin) {
          clearTimeout(timer);
          resolve(msg.origin);
        }
      } catch {
        // other output
      }
    });
    proc.on('exit', (code) => reject(new Error(`hub exited (${code}): ${stderr}`)));
  });
  return { proc, origin };
}

async function kill9(proc: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGKILL');
  await exited;
  children.delete(proc);
}

async function stopGracefully(proc: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  await exited;
  children.delete(proc);
}

async function api(
  origin: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const r = await fetch(`${origin}/durabletask/${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const status = async (origin: string, id: string): Promise<Record<string, unknown>> =>
  (await api(origin, 'GET', `instances/${id}`)).json ?? {};

/** Every completion-type event appears at most once per task id, and ExecutionStarted once. */
function assertEachEventOnce(history: HistoryEvent[]): void {
  const seen = new Set<string>();
  for (const e of history) {
    let key: string | undefined;
    if (e.EventType === EventType.ExecutionStarted || e.EventType === EventType.ExecutionCompleted)
      key = `${e.EventType}`;
    if (
      e.EventType === EventType.TaskScheduled ||
      e.EventType === EventType.TimerCreated ||
      e.EventType === EventType.SubOrchestrationInstanceCreated
    )
      key = `${e.EventType}:${e.EventId}`;
    if (e.TaskScheduledId !== undefined) key = `done:${e.TaskScheduledId}`;
    if (e.EventType === EventType.TimerFired) key = `done:${e.TimerId}`;
    if (key === undefined) continue;
    expect(seen.has(key), `duplicate history event ${key}`).toBe(false);
    seen.add(key);
  }
}

let finalInstances: Map<string, { inst: InstanceRecord; history: HistoryEvent[] }>;
let slowLog: string[];
let fanOutRestarts = 0;

/** FireAt (ms) of the durable timer an instance created, read from the store of a stopped hub. */
function timerFireAt(instanceId: string): number {
  const store = new HubStore(path.join(dataDir, 'durable-CrashHub.sqlite'));
  try {
    const created = store.loadHistory(instanceId).find((e) => e.EventType === EventType.TimerCreated);
    if (!created?.FireAt) throw new Error(`no TimerCreated in ${instanceId}'s history`);
    return Date.parse(created.FireAt);
  } finally {
    store.close();
  }
}

let killedAt = 0;
let restartedAt = 0;
let timerFiresAt = 0;

beforeAll(async () => {
  // ---- phase 1: instances reach their waiting states, then SIGKILL
  let hub = await startHub();
  const o1 = hub.origin;
  expect((await api(o1, 'POST', 'orchestrators/crashActivity/act-1')).status).toBe(202);
  expect((await api(o1, 'POST', 'orchestrators/crashEvent/event-1')).status).toBe(202);
  expect((await api(o1, 'POST', 'orchestrators/crashEvent/event-2')).status).toBe(202);
  expect((await api(o1, 'POST', 'orchestrators/crashParent/parent-1')).status).toBe(202);
  const slowFile = path.join(stateDir, 'slow-act-1.log');
  await until(() => fs.existsSync(slowFile) && fs.readFileSync(slowFile, 'utf8').includes('started'));
  await until(async () => (await status(o1, 'event-1')).customStatus === 'waiting');
  await until(async () => (await status(o1, 'event-2')).customStatus === 'waiting');
  await until(
    async () => (await api(o1, 'GET', 'instances/parent-1-child')).json?.customStatus === 'waiting',
  );
  // The timer is started last, so that it is still pending at the kill however slow the setup was.
  expect((await api(o1, 'POST', 'orchestrators/crashTimer/timer-1', 4000)).status).toBe(202);
  await until(async () => {
    const h = (await api(o1, 'GET', 'instances/timer-1?showHistory=true')).json?.historyEvents;
    return Array.isArray(h) && h.length > 0;
  });
  // An event acknowledged (202) just before the crash must not be lost.
  expect((await api(o1, 'POST', 'instances/event-2/raiseEvent/Go', { go: 'acked' })).status).toBe(202);
  await kill9(hub.proc);
  killedAt = Date.now();
  // Let the timer fall due while the hub is down (FireAt read from the store, not guessed).
  timerFiresAt = timerFireAt('timer-1');
  await until(() => Date.now() > timerFiresAt + 100, 10_000);

  // ---- phase 2: restart on the same data folder and let everything finish
  restartedAt = Date.now();
  hub = await startHub();
  const o2 = hub.origin;
  expect((await api(o2, 'POST', 'instances/event-1/raiseEvent/Go', { go: 1 })).status).toBe(202);
  expect((await api(o2, 'POST', 'instances/parent-1-child/raiseEvent/Go', { go: 2 })).status).toBe(202);
  for (const id of ['act-1', 'timer-1', 'event-1', 'event-2', 'parent-1']) {
    await until(async () => ['Completed', 'Failed'].includes((await status(o2, id)).runtimeStatus as string));
  }

  // ---- phase 3: SIGKILL at arbitrary points during a fan-out, several times
  expect((await api(o2, 'POST', 'orchestrators/fanOut/fan-1', 300)).status).toBe(202);
  await new Promise((r) => setTimeout(r, 40));
  await kill9(hub.proc);
  for (const delay of [150, 60, 250]) {
    hub = await startHub();
    fanOutRestarts++;
    await new Promise((r) => setTimeout(r, delay));
    if ((await status(hub.origin, 'fan-1')).runtimeStatus === 'Completed') break;
    await kill9(hub.proc);
  }
  if (hub.proc.exitCode !== null || hub.proc.signalCode !== null) hub = await startHub();
  await until(async () => (await status(hub.origin, 'fan-1')).runtimeStatus === 'Completed', 30_000);
  await stopGracefully(hub.proc);

  const store = new HubStore(path.join(dataDir, 'durable-CrashHub.sqlite'));
  finalInstances = new Map();
  for (const id of ['act-1', 'timer-1', 'event-1', 'event-2', 'parent-1', 'parent-1-child', 'fan-1']) {
    const inst = store.getInstance(id);
    if (inst) finalInstances.set(id, { inst, history: store.loadHistory(id) });
  }
  store.close();
  slowLog = fs.readFileSync(slowFile, 'utf8').trim().split('\n');
}, 120_000);

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('task hub crash/restart (kill -9)', () => {
  it('an instance waiting on an activity: the activity reruns after the crash and its result is recorded once', () => {
    const r = finalInstances.get('act-1')!;
    expect(r.inst.status).toBe('Completed');
    expect(JSON.parse(r.inst.output!)).toEqual(['slow act-1 done', 'after']);
    // At-least-once: the activity started before the crash and again after it.
    expect(slowLog.filter((l) => l === 'started').length).toBeGreaterThanOrEqual(2);
    expect(r.history.filter((e) => e.EventType === EventType.TaskCompleted)).toHaveLength(2);
    assertEachEventOnce(r.history);
  });

  it('an instance waiting on a durable timer that fell due while the host was down fires on restart', () => {
    const r = finalInstances.get('timer-1')!;
    expect(r.inst.status).toBe('Completed');
    expect(JSON.parse(r.inst.output!)).toBe('timer fired');
    const fired = r.history.filter((e) => e.EventType === EventType.TimerFired);
    expect(fired).toHaveLength(1);
    // It was still pending at the kill, fell due while the hub was down, and fired after the restart.
    expect(timerFiresAt).toBeGreaterThan(killedAt - 50);
    expect(timerFiresAt).toBeLessThan(restartedAt);
    // The episode that admitted TimerFired (its OrchestratorStarted) ran in the restarted hub.
    const at = r.history.indexOf(fired[0]!);
    const episode = r.history.slice(0, at).findLast((e) => e.EventType === EventType.OrchestratorStarted);
    expect(Date.parse(episode!.Timestamp)).toBeGreaterThanOrEqual(restartedAt);
    assertEachEventOnce(r.history);
  });

  it('an external event acknowledged with 202 just before the kill is not lost', () => {
    const r = finalInstances.get('event-2')!;
    expect(r.inst.status).toBe('Completed');
    expect(JSON.parse(r.inst.output!)).toEqual({ go: 'acked' });
    expect(r.history.filter((e) => e.EventType === EventType.EventRaised)).toHaveLength(1);
    assertEachEventOnce(r.history);
  });

  it('an instance waiting on an external event receives an event raised after the restart', () => {
    const r = finalInstances.get('event-1')!;
    expect(r.inst.status).toBe('Completed');
    expect(JSON.parse(r.inst.output!)).toEqual({ go: 1 });
    expect(r.history.filter((e) => e.EventType === EventType.EventRaised)).toHaveLength(1);
    assertEachEventOnce(r.history);
  });

  it('an instance waiting on a sub-orchestration completes when the child does', () => {
    const parent = finalInstances.get('parent-1')!;
    const child = finalInstances.get('parent-1-child')!;
    expect(child.inst.status).toBe('Completed');
    expect(parent.inst.status).toBe('Completed');
    expect(JSON.parse(parent.inst.output!)).toEqual({ child: { go: 2 } });
    expect(
      parent.history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCompleted),
    ).toHaveLength(1);
    assertEachEventOnce(parent.history);
    assertEachEventOnce(child.history);
  });

  it('a fan-out killed at arbitrary points completes with every activity result recorded exactly once', () => {
    const r = finalInstances.get('fan-1')!;
    expect(fanOutRestarts).toBeGreaterThanOrEqual(1);
    expect(r.inst.status).toBe('Completed');
    let sum = 0;
    for (let i = 0; i < 300; i++) sum += i * i;
    expect(JSON.parse(r.inst.output!)).toBe(sum);
    const done = r.history
      .filter((e) => e.EventType === EventType.TaskCompleted)
      .map((e) => e.TaskScheduledId);
    expect(done).toHaveLength(300);
    expect(new Set(done).size).toBe(300);
    assertEachEventOnce(r.history);
  });
});
