import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../local/host.js';
import { SqliteQueue } from '../../local/bus/sqlite-queue.js';
import { deadLetterQueueName } from '../../shared/bus/queue.port.js';

const entry = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/apps/triggers/index.ts',
);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'host-triggers-'));
let host: LocalHost;
let app: {
  ticks: { isPastDue: boolean; next: string }[];
  received: { body: unknown; meta: Record<string, unknown> }[];
  batches: { bodies: unknown[]; meta: Record<string, unknown> }[];
  slowDeliveries: number[];
};

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  host = await startLocalHost({
    entry,
    port: 0,
    dataDir: path.join(tmp, 'data'),
    settings: {
      SWITCHBOARD_SERVICEBUS_MAX_DELIVERY_COUNT: '3',
      SWITCHBOARD_SERVICEBUS_LOCK_DURATION_MS: '500',
    },
  });
  host.registry.setLogSink(() => undefined);
  app = await import('../fixtures/apps/triggers/index.js');
});
afterAll(async () => {
  await host?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('local host: timer trigger', () => {
  it('fires on a seconds schedule with the Timer payload the library expects', async () => {
    const before = app.ticks.length;
    await waitFor(() => app.ticks.length >= before + 2, 4000);
    const tick = app.ticks[app.ticks.length - 1]!;
    expect(tick.isPastDue).toBe(false);
    expect(Number.isNaN(Date.parse(tick.next))).toBe(false);
    const status = JSON.parse(fs.readFileSync(path.join(tmp, 'data', 'timers.json'), 'utf8')) as Record<
      string,
      { last: string; next: string }
    >;
    expect(status.everySecond?.last).toBeDefined();
  });
});

describe('local host: Service Bus queue trigger on the embedded bus', () => {
  it('completes the message when the function succeeds, with trigger metadata', async () => {
    await host.bus.send('jobs', {
      body: { job: 'ok-1' },
      messageId: 'msg-ok',
      applicationProperties: { callId: 'c-1' },
    });
    await waitFor(() => app.received.some((r) => (r.body as { job?: string }).job === 'ok-1'));
    const got = app.received.find((r) => (r.body as { job?: string }).job === 'ok-1')!;
    expect(got.meta).toMatchObject({
      messageId: 'msg-ok',
      deliveryCount: 1,
      applicationProperties: { callId: 'c-1' },
    });
    expect(Number.isNaN(Date.parse(String(got.meta.enqueuedTimeUtc)))).toBe(false);
    await waitFor(() => host.bus.count('jobs') === 0);
  });

  it('abandons on throw: redelivers with deliveryCount + 1, then dead-letters after max delivery count', async () => {
    await host.bus.send('jobs', { body: { job: 'poison', fail: true }, messageId: 'msg-poison' });
    await waitFor(() => host.bus.count(deadLetterQueueName('jobs')) === 1);
    const counts = app.received
      .filter((r) => (r.body as { job?: string }).job === 'poison')
      .map((r) => r.meta.deliveryCount);
    expect(counts).toEqual([1, 2, 3]);
    expect(host.bus.peek(deadLetterQueueName('jobs'))[0]).toMatchObject({
      messageId: 'msg-poison',
      deadLetterReason: 'MaxDeliveryCountExceeded',
    });
    expect(host.bus.count('jobs')).toBe(0);
  });
});

describe('local host: Service Bus lock renewal', () => {
  it('renews the lock while a function outlives the lock duration, so the message is not redelivered', async () => {
    await host.bus.send('slow-jobs', { body: { slow: true }, messageId: 'slow-1' });
    await waitFor(() => app.slowDeliveries.length > 0);
    await waitFor(() => host.bus.count('slow-jobs') === 0, 15_000);
    expect(app.slowDeliveries).toEqual([1]);
  });
});

describe('local host: Service Bus batch trigger', () => {
  it("delivers cardinality 'many' messages in one invocation with array metadata, and completes them", async () => {
    await host.bus.send('batch-jobs', [
      { body: { n: 1 }, messageId: 'b1' },
      { body: 'two', messageId: 'b2' },
      { body: { n: 3 }, messageId: 'b3' },
    ]);
    await waitFor(() => app.batches.length > 0);
    expect(app.batches[0]!.bodies).toEqual([{ n: 1 }, 'two', { n: 3 }]);
    expect(app.batches[0]!.meta).toMatchObject({
      messageIdArray: ['b1', 'b2', 'b3'],
      deliveryCountArray: [1, 1, 1],
    });
    await waitFor(() => host.bus.count('batch-jobs') === 0);
  });
});

describe('embedded bus persistence across a host restart', () => {
  it('keeps an unconsumed message in the data folder after stop and reopen', async () => {
    const dir = path.join(tmp, 'persist');
    const first = new SqliteQueue({ file: path.join(dir, 'bus.sqlite') });
    await first.send('other-queue', { body: { keep: 1 }, messageId: 'kept' });
    await first.close();
    const reopened = new SqliteQueue({ file: path.join(dir, 'bus.sqlite') });
    const [m] = await reopened.receive('other-queue');
    expect(m).toMatchObject({ messageId: 'kept', body: { keep: 1 } });
    await reopened.close();
  });
});
