/**
 * End to end through the local stack, the hard cases: the caller hanging up during a prompt, during
 * digit collection and during a transfer; Graph answering 429/503 to playPrompt and transfer;
 * notifications duplicated and reordered; 20 concurrent calls on different flows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AT } from '../../shared/flow/flow-test.js';
import type { Flow, Scenario } from '../../shared/flow/index.js';
import { loadFlowFile } from '../../shared/flow/node/load.js';
import { startStack, type Stack } from '../../local/stack.js';
import { actionOf, installClockShift, runE2e, shiftClock } from './harness.js';

installClockShift();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-e2e-resilience-'));
let stack: Stack;
let n = 0;
const caller = (): string => `+1425557${String(1000 + n++).padStart(4, '0')}`;
const load = (id: string): { flow: Flow; scenarios: Scenario[] } => {
  const l = loadFlowFile(path.resolve(`flows/${id}.yaml`));
  return { flow: l.flow!, scenarios: l.scenarios.map((s) => s.scenario) };
};
const contoso = load('contoso-main');
const city = load('city-power-outage');
const pharmacy = load('pharmacy-refill');
const numberOf = (flow: Flow): string => stack.numbers.find((x) => x.flowId === flow.id)?.number ?? '';
const scenario = (s: Partial<Scenario> & Pick<Scenario, 'expect'>): Scenario => ({ name: 'case', ...s });

beforeAll(async () => {
  shiftClock(DEFAULT_AT); // a Wednesday, 11:00 in New York: Contoso and the pharmacy are open
  stack = await startStack({ port: 0, dataDir: tmp, clockScale: 20, quiet: true });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the caller hangs up', () => {
  it('during a prompt: the call ends as hung up and the bot sends nothing more', async () => {
    const run = await runE2e(
      stack,
      contoso.flow,
      scenario({
        press: 'w3s h', // during the main menu prompt (welcome ends at 2 s)
        expect: { path: ['hours', 'greeting', 'mainMenu'], outcome: 'hung up by caller' },
      }),
      { number: numberOf(contoso.flow), callerNumber: caller() },
    );
    expect(run.failures).toEqual([]);
    const hangUpAt = run.call.transcript.find((e) => e.type === 'hangUp')?.at ?? 0;
    const t0 = run.requests[0]?.time ?? 0;
    const after = run.requests.filter((r) => r.time - t0 > hangUpAt + 50 && r.method === 'POST');
    expect(after.map(actionOf)).toEqual([]);
  }, 120_000);

  it('during digit collection', async () => {
    const run = await runE2e(
      stack,
      contoso.flow,
      scenario({
        press: 'w 2 w 123 h',
        expect: { path: ['hours', 'greeting', 'mainMenu', 'account'], outcome: 'hung up by caller' },
      }),
      { number: numberOf(contoso.flow), callerNumber: caller() },
    );
    expect(run.failures).toEqual([]);
    expect(run.record?.outcome?.kind).toBe('hungUpByCaller');
  }, 120_000);

  it('during a transfer', async () => {
    const number = numberOf(contoso.flow);
    const call = await stack.sim.placeCall({
      from: caller(),
      to: number,
      steps: [
        { type: 'waitForPrompt', n: 2, phase: 'end' },
        { type: 'wait', ms: 300 },
        { type: 'transferTarget', outcome: 'accept', afterMs: 5000 },
        { type: 'press', keys: '1' },
        { type: 'hangUp', when: 'duringTransfer', afterMs: 200 },
      ],
    });
    const outcome = await call.ended();
    expect(outcome.reason).toBe('callerHungUp');
    // The bot had asked Graph to transfer, and the caller left before the target answered.
    expect(call.requests().some((r) => r.path.endsWith('/transfer') && (r.status ?? 0) < 300)).toBe(true);
    expect(call.transcript.find((e) => e.type === 'hangUp')).toMatchObject({ by: 'caller' });
    expect(call.transcript.some((e) => e.type === 'transfer' && e.outcome === 'accepted')).toBe(false);
    const deadline = Date.now() + 15_000;
    let record = await stack.store.calls.get(call.id);
    while ((record?.status !== 'ended' || record.outcome === undefined) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      record = await stack.store.calls.get(call.id);
    }
    expect(record?.path).toEqual(['hours', 'greeting', 'mainMenu', 'sales']);
    expect(record?.outcome?.kind).toBe('hungUpByCaller');
  }, 120_000);
});

describe('Graph throttling and outages', () => {
  it('a 429 on playPrompt and a 503 on transfer are retried; the caller notices nothing', async () => {
    const s = contoso.scenarios.find((x) => x.name === 'sales during business hours')!;
    const callerNumber = caller();
    // Armed for the next matching requests: this test runs alone in its describe.
    stack.sim.faults.request({
      kind: 'throttle',
      method: 'POST',
      path: '/playPrompt$',
      count: 1,
      retryAfterSeconds: 0,
    });
    stack.sim.faults.request({ kind: 'unavailable', method: 'POST', path: '/transfer$', count: 1 });
    const run = await runE2e(stack, contoso.flow, s, { number: numberOf(contoso.flow), callerNumber });
    expect(run.failures).toEqual([]);
    const statuses = run.requests
      .filter((r) => ['playPrompt', 'transfer'].includes(actionOf(r)))
      .map((r) => `${actionOf(r)} ${r.status}`);
    expect(statuses[0]).toBe('playPrompt 429');
    expect(statuses[1]).toMatch(/^playPrompt 2\d\d$/);
    expect(statuses).toContain('transfer 503');
    expect(statuses.at(-1)).toMatch(/^transfer 2\d\d$/);
  }, 120_000);
});

describe('notifications duplicated and reordered', () => {
  it('every notification delivered twice, and established/establishing swapped: same path, same outcome', async () => {
    const s = city.scenarios.find((x) => x.name === 'no outage known, caller reports one')!;
    stack.sim.faults.notification({ kind: 'duplicate', count: 200 });
    stack.sim.faults.notification({ kind: 'reorder', changeType: 'updated', count: 1 });
    try {
      const run = await runE2e(stack, city.flow, s, { number: numberOf(city.flow), callerNumber: caller() });
      expect(run.failures).toEqual([]);
      const deliveries = stack.sim.deliveries(run.callId);
      expect(deliveries.length).toBeGreaterThan(10);
    } finally {
      stack.sim.faults.clear();
    }
  }, 120_000);
});

describe('20 concurrent calls on different flows', () => {
  it('all end as their flows say', async () => {
    const picks: [Flow, Scenario][] = [
      ...[
        'sales during business hours',
        'address and hours, then the operator',
        'gold customer reaches the VIP desk',
      ].map((name): [Flow, Scenario] => [contoso.flow, contoso.scenarios.find((x) => x.name === name)!]),
      ...[
        'billing',
        'known outage, heard twice',
        'no outage known, caller wants an agent',
        'bad ZIP twice reaches an agent',
      ].map((name): [Flow, Scenario] => [city.flow, city.scenarios.find((x) => x.name === name)!]),
      ...[
        'refill accepted, then done',
        'repeat the menu, then ask for a pharmacist',
        'no refills left goes to a pharmacist',
      ].map((name): [Flow, Scenario] => [pharmacy.flow, pharmacy.scenarios.find((x) => x.name === name)!]),
    ];
    const twenty = Array.from({ length: 20 }, (_, i) => picks[i % picks.length]!);
    const started = Date.now();
    const runs = await Promise.all(
      twenty.map(([flow, s]) => runE2e(stack, flow, s, { number: numberOf(flow), callerNumber: caller() })),
    );
    const failed = runs
      .filter((r) => r.failures.length > 0)
      .map((r) => `${r.scenario.name}: ${r.failures.join('; ')}`);
    expect(failed).toEqual([]);
    expect(new Set(runs.map((r) => r.callId)).size).toBe(20);
    expect(Date.now() - started).toBeLessThan(120_000);
  }, 180_000);
});
