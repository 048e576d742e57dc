// History stays bounded: with CALL_HISTORY_EVENTS=10 a call that handles more events continues
// as new (carrying the interpreter state, timers and the pinned flow) and still ends as the flow
// says, with every prompt played once and in order. Long calls: keepAlive goes to Graph on its
// interval (CALL_KEEPALIVE_INTERVAL) and the maximum duration (CALL_MAX_DURATION) ends the call.

import { afterAll, beforeAll, expect, it } from 'vitest';

import type { Stack } from '../../local/stack.js';
import { startFlowStack, type FlowStack } from '../support/flow-stack.js';

const STEPS = 14;
const NUMBER = '+14255550104';
const SLOW = '+14255550105';
const SLOW_FLOW = `id: slow-menu
version: 1
description: A menu that waits a long time for a key.
timezone: UTC
entry: menu
prompts:
  ask:
    text: Press one.
steps:
  menu:
    type: menu
    prompt: ask
    timeout: 60s
    options:
      '1': bye
  bye:
    type: hangup
`;

function flow(): string {
  const lines = [
    'id: long-call',
    'version: 1',
    'description: Many prompts in a row.',
    'timezone: UTC',
    'entry: p1',
    'prompts:',
  ];
  for (let i = 1; i <= STEPS; i += 1) lines.push(`  m${i}:`, `    text: Part ${i}.`);
  lines.push('steps:');
  for (let i = 1; i <= STEPS; i += 1)
    lines.push(
      `  p${i}:`,
      '    type: play',
      `    prompts: [m${i}]`,
      `    next: ${i === STEPS ? 'bye' : `p${i + 1}`}`,
    );
  lines.push('  bye:', '    type: hangup');
  return `${lines.join('\n')}\n`;
}

let running: FlowStack;
let stack: Stack;
beforeAll(async () => {
  running = await startFlowStack({
    flows: { 'long-call': flow(), 'slow-menu': SLOW_FLOW },
    numbers: { [NUMBER]: 'long-call', [SLOW]: 'slow-menu' },
    clockScale: 20,
    settings: { CALL_HISTORY_EVENTS: '10', CALL_KEEPALIVE_INTERVAL: '300ms', CALL_MAX_DURATION: '4s' },
  });
  stack = running.stack;
});
afterAll(async () => {
  await running?.stop();
});

it('continues as new after 10 events and finishes the flow', async () => {
  const call = await stack.sim.placeCall({ from: '+14255550199', to: NUMBER, steps: [] });
  expect((await call.ended()).reason).toBe('botHungUp');
  const plays = stack.sim.requests(call.id).filter((r) => r.path.endsWith('/playPrompt'));
  expect(plays.map((r) => (r.body as { clientContext: string }).clientContext.split('#')[0])).toEqual(
    Array.from({ length: STEPS }, (_, i) => `p${i + 1}`),
  );
  let record = await stack.store.calls.get(call.id);
  for (let i = 0; i < 200 && record?.status !== 'ended'; i += 1) {
    await new Promise((r) => setTimeout(r, 25));
    record = await stack.store.calls.get(call.id);
  }
  expect(record?.outcome).toMatchObject({ kind: 'completed' });
  expect(record?.path).toEqual([...Array.from({ length: STEPS }, (_, i) => `p${i + 1}`), 'bye']);
  type Status = { runtimeStatus: string; input: { carried?: { execution: number } } };
  let status: Status | undefined;
  for (let i = 0; i < 400 && status?.runtimeStatus !== 'Completed'; i += 1) {
    if (i > 0) await new Promise((r) => setTimeout(r, 25));
    status = (await (
      await fetch(`${stack.url}/runtime/webhooks/durabletask/instances/${call.id}`)
    ).json()) as Status;
  }
  expect(status?.runtimeStatus).toBe('Completed');
  // The final execution was started by continueAsNew with the carried state.
  expect(status?.input.carried?.execution).toBeGreaterThanOrEqual(2);
});

it('sends keepAlive on its interval and hangs up at the maximum call duration', async () => {
  const started = Date.now();
  const call = await stack.sim.placeCall({ from: '+14255550199', to: SLOW, steps: [] });
  expect((await call.ended()).reason).toBe('botHungUp');
  expect(Date.now() - started).toBeGreaterThanOrEqual(3500);
  const keepAlives = stack.sim.requests(call.id).filter((r) => r.path.endsWith('/keepAlive'));
  expect(keepAlives.length).toBeGreaterThanOrEqual(3);
  expect(keepAlives.every((r) => r.status === 200)).toBe(true);
  let record = await stack.store.calls.get(call.id);
  for (let i = 0; i < 200 && record?.status !== 'ended'; i += 1) {
    await new Promise((r) => setTimeout(r, 25));
    record = await stack.store.calls.get(call.id);
  }
  expect(record?.outcome).toMatchObject({ kind: 'failed', reason: 'CALL.MAX_DURATION' });
});
