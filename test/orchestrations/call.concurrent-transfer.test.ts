// Several calls at once whose transfers fail moments after the transfer request: the Graph
// notifications (transferring, transferAccepted, established + transferFailed) arrive while the
// `runCommands` activity that sent the transfer is still running, on many instances at once. Every
// call must still reach the flow's failure path and end.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Stack } from '../../local/stack.js';
import { startFlowStack, type FlowStack } from '../support/flow-stack.js';
import type { CallRecord } from '../../shared/store/index.js';

const FLOW = `id: xfer-fail
version: 1
description: Transfers at once; a failed transfer takes the flow's failure path.
timezone: UTC
entry: menu
fallback:
  phone: '+14255550999'
prompts:
  welcome:
    text: Press one for sales.
steps:
  menu:
    type: menu
    prompt: welcome
    timeout: 5s
    options:
      '1': sales
  sales:
    type: transfer
    target:
      phone: '+14255550111'
`;
const NUMBER = '+14255550171';
const CALLS = 8;

let running: FlowStack;
let stack: Stack;

beforeAll(async () => {
  running = await startFlowStack({
    flows: { 'xfer-fail': FLOW },
    numbers: { [NUMBER]: 'xfer-fail' },
    clockScale: 20,
  });
  stack = running.stack;
});

afterAll(async () => {
  await running?.stop();
});

/** The call record once it is ended (the orchestration writes it after Graph's last notification). */
async function ended(callId: string): Promise<CallRecord | undefined> {
  const end = Date.now() + 10_000;
  for (;;) {
    const r = await stack.store.calls.get(callId);
    if (r?.status === 'ended' || Date.now() > end) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('concurrent calls whose transfers fail at once', () => {
  it(`all ${CALLS} calls end on the fallback transfer (transfer failing 0-25 ms after the request)`, async () => {
    for (let round = 0; round < 4; round += 1) {
      const calls = await Promise.all(
        Array.from({ length: CALLS }, (_, i) =>
          stack.sim.placeCall({
            from: `+1425555${String(round * 100 + i).padStart(4, '0')}`,
            to: NUMBER,
            steps: [
              { type: 'transferTarget', outcome: 'fail', afterMs: Math.round((25 * i) / (CALLS - 1)) },
              { type: 'waitForPrompt', n: 1, phase: 'start' },
              '1',
            ],
          }),
        ),
      );
      const results = await Promise.all(
        calls.map((c) =>
          Promise.race([
            c.ended().then((o) => o.reason),
            new Promise<string>((r) => setTimeout(() => r('did not end'), 20_000)),
          ]),
        ),
      );
      expect(results, `round ${round}`).toEqual(Array.from({ length: CALLS }, () => 'transferred'));
      for (const c of calls) {
        const record = await ended(c.id);
        expect(record?.outcome).toMatchObject({ kind: 'transferred', target: '+14255550999' });
      }
    }
  }, 120_000);
});
