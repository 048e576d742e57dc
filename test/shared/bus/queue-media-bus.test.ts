import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteQueue } from '../../../local/bus/sqlite-queue.js';
import {
  MEDIA_COMMANDS_QUEUE,
  MEDIA_EVENTS_QUEUE,
  type MediaCommand,
} from '../../../shared/bus/media-bus.port.js';
import { createQueueMediaBus } from '../../../shared/bus/queue-media-bus.js';
import { deadLetterQueueName } from '../../../shared/bus/queue.port.js';

let dir: string | undefined;
let queue: SqliteQueue | undefined;
afterEach(async () => {
  await queue?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('createQueueMediaBus over the embedded queue', () => {
  it('sends commands the media host receives, and publishes events on the events queue', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'media-bus-'));
    queue = new SqliteQueue({ file: path.join(dir, 'bus.sqlite') });
    const bus = createQueueMediaBus(queue);
    await queue.send(MEDIA_COMMANDS_QUEUE, { body: { nope: true }, messageId: 'garbage' });
    const commandId = await bus.sendCommand({
      type: 'joinCall',
      callId: 'call-1',
      payload: { mode: 'appHosted' },
    });

    const seen: MediaCommand[] = [];
    const ac = new AbortController();
    const loop = bus.receiveCommands(async (cmd) => {
      seen.push(cmd);
      await bus.publishEvent({
        type: 'joined',
        callId: cmd.callId,
        correlationId: cmd.commandId!,
        occurredAt: '2026-01-01T00:00:00.000Z',
      });
      ac.abort();
    }, ac.signal);
    await loop;

    expect(seen).toEqual([{ type: 'joinCall', callId: 'call-1', commandId, payload: { mode: 'appHosted' } }]);
    const [event] = await queue.receive(MEDIA_EVENTS_QUEUE);
    expect(event).toMatchObject({
      subject: 'joined',
      correlationId: commandId,
      applicationProperties: { callId: 'call-1' },
      body: { type: 'joined', callId: 'call-1' },
    });
    expect(queue.count(MEDIA_COMMANDS_QUEUE)).toBe(0);
    expect(queue.peek(deadLetterQueueName(MEDIA_COMMANDS_QUEUE))).toMatchObject([
      { messageId: 'garbage', deadLetterReason: 'InvalidMediaCommand' },
    ]);
  });
});
