import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { describe, expect, it } from 'vitest';
import {
  fromServiceBusMessage,
  parseQueueName,
  ServiceBusQueue,
  toServiceBusMessage,
} from '../../../shared/bus/service-bus.adapter.js';

describe('Service Bus adapter mapping', () => {
  it('maps an outgoing message field by field, leaving out what was not set', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    expect(
      toServiceBusMessage({
        body: { a: 1 },
        messageId: 'm',
        contentType: 'application/json',
        subject: 's',
        correlationId: 'c',
        applicationProperties: { callId: 'x' },
        scheduledEnqueueTimeUtc: at,
      }),
    ).toEqual({
      body: { a: 1 },
      messageId: 'm',
      contentType: 'application/json',
      subject: 's',
      correlationId: 'c',
      applicationProperties: { callId: 'x' },
      scheduledEnqueueTimeUtc: at,
    });
    expect(toServiceBusMessage({ body: 'b' })).toEqual({ body: 'b' });
  });

  it('maps a received message: 1-based deliveryCount, Long sequence numbers, stringified ids', () => {
    const enq = new Date('2026-01-01T00:00:00Z');
    const sdk = {
      body: { hello: 'x' },
      messageId: 42,
      deliveryCount: 0,
      sequenceNumber: { toNumber: () => 17 },
      enqueuedTimeUtc: enq,
      lockToken: 'lt',
      applicationProperties: { callId: 'c1', when: enq, n: 3 },
      subject: 'evt',
      deadLetterReason: 'r',
    } as unknown as ServiceBusReceivedMessage;
    expect(fromServiceBusMessage(sdk)).toMatchObject({
      body: { hello: 'x' },
      messageId: '42',
      deliveryCount: 1,
      sequenceNumber: 17,
      enqueuedTimeUtc: enq,
      lockToken: 'lt',
      subject: 'evt',
      deadLetterReason: 'r',
      applicationProperties: { callId: 'c1', when: enq.toISOString(), n: 3 },
    });
  });

  it('recognises the dead-letter sub-queue name', () => {
    expect(parseQueueName('jobs/$DeadLetterQueue')).toEqual({ entity: 'jobs', deadLetter: true });
    expect(parseQueueName('jobs')).toEqual({ entity: 'jobs', deadLetter: false });
  });

  it('requires a connection string', () => {
    expect(() => new ServiceBusQueue('')).toThrow(expect.objectContaining({ code: 'BUS.CONFIG' }));
  });
});
