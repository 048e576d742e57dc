import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deadLetterQueueName } from '../../../shared/bus/queue.port.js';
import { SqliteQueue } from '../../../local/bus/sqlite-queue.js';

const dirs: string[] = [];
const queues: SqliteQueue[] = [];
function open(
  opts: { maxDeliveryCount?: number; lockDurationMs?: number } = {},
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bus-')),
): SqliteQueue {
  dirs.push(dir);
  const q = new SqliteQueue({ file: path.join(dir, 'bus.sqlite'), ...opts });
  queues.push(q);
  return q;
}
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('SqliteQueue (embedded bus)', () => {
  it('delivers in order with properties, and complete removes the message', async () => {
    const q = open();
    await q.send('jobs', [
      { body: { n: 1 }, messageId: 'm1', subject: 'first', applicationProperties: { callId: 'c1', n: 1 } },
      { body: 'text', messageId: 'm2' },
      { body: Buffer.from([1, 2, 3]), messageId: 'm3' },
    ]);
    const got = await q.receive('jobs', { maxMessages: 3 });
    expect(got.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
    expect(got[0]).toMatchObject({
      body: { n: 1 },
      subject: 'first',
      applicationProperties: { callId: 'c1', n: 1 },
      deliveryCount: 1,
    });
    expect(got[1]!.body).toBe('text');
    expect(Buffer.isBuffer(got[2]!.body) && [...got[2]!.body]).toEqual([1, 2, 3]);
    expect(got[0]!.sequenceNumber).toBeLessThan(got[1]!.sequenceNumber);
    // locked messages are not delivered twice
    expect(await q.receive('jobs')).toEqual([]);
    for (const m of got) await q.complete('jobs', m);
    expect(q.count('jobs')).toBe(0);
    await expect(q.complete('jobs', got[0]!)).rejects.toMatchObject({ code: 'BUS.LOCK_LOST' });
  });

  it('redelivers after abandon with deliveryCount + 1 and dead-letters after maxDeliveryCount', async () => {
    const q = open({ maxDeliveryCount: 3 });
    await q.send('jobs', { body: { x: 1 }, messageId: 'poison' });
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [m] = await q.receive('jobs');
      counts.push(m!.deliveryCount);
      await q.abandon('jobs', m!);
    }
    expect(counts).toEqual([1, 2, 3]);
    expect(await q.receive('jobs')).toEqual([]);
    const [dead] = await q.receive(deadLetterQueueName('jobs'));
    expect(dead).toMatchObject({
      messageId: 'poison',
      deadLetterReason: 'MaxDeliveryCountExceeded',
      deadLetterSource: 'jobs',
      body: { x: 1 },
    });
  });

  it('makes a message receivable again when its lock expires', async () => {
    const q = open({ lockDurationMs: 800 });
    await q.send('jobs', { body: 1, messageId: 'a' });
    const [first] = await q.receive('jobs');
    const [again] = await q.receive('jobs', { maxWaitMs: 10_000 });
    expect(again).toMatchObject({ messageId: 'a', deliveryCount: 2 });
    await expect(q.complete('jobs', first!)).rejects.toMatchObject({ code: 'BUS.LOCK_LOST' });
    await q.complete('jobs', again!);
  });

  it('explicit dead-letter keeps reason and description; receive-and-delete removes at once', async () => {
    const q = open();
    await q.send('jobs', [
      { body: 1, messageId: 'bad' },
      { body: 2, messageId: 'rad' },
    ]);
    const [bad] = await q.receive('jobs');
    await q.deadLetter('jobs', bad!, { reason: 'Invalid', description: 'no callId' });
    const [rad] = await q.receive('jobs', { peekLock: false });
    expect(rad).toMatchObject({ messageId: 'rad', lockToken: undefined });
    expect(q.count('jobs')).toBe(0);
    expect(q.peek(deadLetterQueueName('jobs'))[0]).toMatchObject({
      messageId: 'bad',
      deadLetterReason: 'Invalid',
      deadLetterErrorDescription: 'no callId',
    });
  });

  it('wakes a waiting receiver when a message is sent', async () => {
    const q = open();
    const waiting = q.receive('jobs', { maxWaitMs: 5000 });
    setTimeout(() => void q.send('jobs', { body: 'late', messageId: 'late' }), 30);
    const [m] = await waiting;
    expect(m?.messageId).toBe('late');
  });

  it('persists messages across a reopen of the same file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bus-'));
    const q1 = open({}, dir);
    await q1.send('jobs', [
      { body: { keep: true }, messageId: 'k1' },
      { body: 2, messageId: 'k2' },
    ]);
    const [m] = await q1.receive('jobs');
    await q1.complete('jobs', m!);
    await q1.close();
    const q2 = open({}, dir);
    const got = await q2.receive('jobs', { maxMessages: 5 });
    expect(got.map((x) => x.messageId)).toEqual(['k2']);
  });

  it('rejects a body that cannot be serialised', async () => {
    const q = open();
    await expect(q.send('jobs', { body: undefined })).rejects.toMatchObject({ code: 'BUS.INVALID_MESSAGE' });
  });
});
