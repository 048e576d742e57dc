// The ops API's terminate route on a live call through the whole local stack: it raises the
// `terminate` external event, and the `call` orchestration hangs up through Graph and records
// outcome `terminated` (who and why) through finishCall; the instance completes normally.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Stack } from '../../../local/stack.js';
import { startFlowStack, type FlowStack } from '../../support/flow-stack.js';

const FLOW = `id: term-test
version: 1
description: A menu that waits long enough for an operator to end the call.
timezone: UTC
entry: menu
prompts:
  welcome:
    text: Press one for sales.
steps:
  menu:
    type: menu
    prompt: welcome
    timeout: 60s
    options:
      '1': sales
  sales:
    type: transfer
    target:
      phone: '+14255550111'
`;
const NUMBER = '+14255550181';

let running: FlowStack;
let stack: Stack;

beforeAll(async () => {
  running = await startFlowStack({
    flows: { 'term-test': FLOW },
    numbers: { [NUMBER]: 'term-test' },
    clockScale: 1,
  });
  stack = running.stack;
});

afterAll(async () => {
  await running?.stop();
});

async function operatorToken(): Promise<string> {
  const res = await fetch(`${stack.idpUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'Operator', user: { preferred_username: 'olga@contoso.test' } }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token?: string; token?: string };
  const token = body.access_token ?? body.token;
  expect(token).toBeTruthy();
  return token!;
}

describe('POST /api/calls/{callId}/terminate on a running call orchestration', () => {
  it('raises `terminate`: the orchestration hangs up and records who ended the call', async () => {
    const call = await stack.sim.placeCall({ from: '+14255550182', to: NUMBER, steps: [] });
    // Wait until the menu prompt plays (the orchestration is waiting for a key).
    const until = Date.now() + 15_000;
    while (!call.transcript.some((e) => e.type === 'promptStarted')) {
      if (Date.now() > until) throw new Error('the menu prompt never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await fetch(`${stack.url}/api/calls/${call.id}/terminate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await operatorToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'caller stuck in the menu' }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(202);
    expect(body).toMatchObject({ callId: call.id, via: 'terminateEvent' });
    const by = body.terminatedBy as string;
    expect(by).toBeTruthy();

    const ended = await Promise.race([
      call.ended().then((o) => o.reason),
      new Promise<string>((r) => setTimeout(() => r('did not end'), 10_000)),
    ]);
    expect(ended).not.toBe('did not end');
    const deletes = stack.sim.requests(call.id).filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(1);

    const record = await stack.store.calls.get(call.id);
    expect(record).toMatchObject({
      status: 'ended',
      outcome: { kind: 'terminated', reason: 'operator', by, note: 'caller stuck in the menu' },
    });
    const timeline = await stack.store.timelines.list(call.id);
    expect(timeline.some((e) => e.kind === 'operator' && e.data.by === by)).toBe(true);
    expect(timeline.some((e) => e.kind === 'outcome' && e.data.kind === 'terminated')).toBe(true);

    const inst = (await (
      await fetch(`${stack.url}/runtime/webhooks/durabletask/instances/${call.id}`)
    ).json()) as { runtimeStatus: string; output: { outcome?: unknown } };
    expect(inst.runtimeStatus).toBe('Completed');
    expect(inst.output.outcome).toEqual({ kind: 'terminated', by, reason: 'caller stuck in the menu' });
  }, 60_000);
});
