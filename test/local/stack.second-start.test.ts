// A second `startStack` in the same process, after the first one stopped: the call activities
// must use the new stack's store and Graph client, not the closed ones of the first stack.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-stack2-'));
let stack: Stack | undefined;

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function placeOneCall(s: Stack): Promise<{ reason: string; outcome: unknown }> {
  const call = await s.sim.placeCall({
    from: '+14255550177',
    to: '+14255550100',
    steps: [{ type: 'hangUp', when: 'duringNextPrompt' }],
  });
  const ended = await Promise.race([
    call.ended().then((o) => o.reason),
    new Promise<string>((r) => setTimeout(() => r('did not end'), 20_000)),
  ]);
  const end = Date.now() + 10_000;
  for (;;) {
    const record = await s.store.calls.get(call.id);
    if (record?.status === 'ended' || Date.now() > end) return { reason: ended, outcome: record?.outcome };
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('startStack twice in one process', () => {
  it('runs calls on the second stack with its own services', async () => {
    const opts = { port: 0, flowsDir: path.resolve('flows'), clockScale: 20, quiet: true } as const;
    stack = await startStack({ ...opts, dataDir: path.join(tmp, 'one') });
    expect((await placeOneCall(stack)).outcome).toMatchObject({ kind: 'hungUpByCaller' });
    await stack.stop();
    stack = await startStack({ ...opts, dataDir: path.join(tmp, 'two') });
    const second = await placeOneCall(stack);
    expect(second.reason).toBe('callerHungUp');
    expect(second.outcome).toMatchObject({ kind: 'hungUpByCaller' });
  }, 90_000);
});
