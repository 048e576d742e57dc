/**
 * {@link QueuePort} on Azure Service Bus (`@azure/service-bus`), for production. One client per
 * connection string; one sender and one receiver per (queue, receive mode), created lazily.
 * Settlement goes back through the receiver that received the message, found by lock token.
 * `<queue>/$DeadLetterQueue` reads the dead-letter sub-queue.
 */
import {
  ServiceBusClient,
  type ServiceBusMessage,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
} from '@azure/service-bus';
import { AppError, ensureError } from '../errors/app-error.js';
import type {
  DeadLetterOptions,
  OutgoingQueueMessage,
  QueuePort,
  QueuePropertyValue,
  ReceiveOptions,
  ReceivedQueueMessage,
} from './queue.port.js';

const DLQ_SUFFIX = '/$DeadLetterQueue';

/** Maps an outgoing port message to the SDK's `ServiceBusMessage` (pure). */
export function toServiceBusMessage(message: OutgoingQueueMessage): ServiceBusMessage {
  const out: ServiceBusMessage = { body: message.body };
  if (message.messageId !== undefined) out.messageId = message.messageId;
  if (message.contentType !== undefined) out.contentType = message.contentType;
  if (message.correlationId !== undefined) out.correlationId = message.correlationId;
  if (message.subject !== undefined) out.subject = message.subject;
  if (message.sessionId !== undefined) out.sessionId = message.sessionId;
  if (message.applicationProperties !== undefined)
    out.applicationProperties = {
      ...message.applicationProperties,
    };
  if (message.scheduledEnqueueTimeUtc !== undefined)
    out.scheduledEnqueueTimeUtc = message.scheduledEnqueueTimeUtc;
  return out;
}

function toPropertyValue(v: unknown): QueuePropertyValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  if (v !== undefined && typeof (v as { toNumber?: unknown }).toNumber === 'function')
    return (v as { toNumber(): number }).toNumber();
  if (v === undefined) return null;
  return typeof v === 'bigint' ? Number(v) : JSON.stringify(v);
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== undefined && v !== null && typeof (v as { toNumber?: unknown }).toNumber === 'function')
    return (v as { toNumber(): number }).toNumber();
  return 0;
}

/**
 * Maps an SDK message to the port's shape (pure). `deliveryCount` becomes 1-based (the JS SDK
 * reports previous failed attempts, 0 on the first delivery; the Functions host and the port count
 * this delivery too). Message ids that are numbers or bytes become strings.
 */
export function fromServiceBusMessage(message: ServiceBusReceivedMessage): ReceivedQueueMessage {
  const props: Record<string, QueuePropertyValue> = {};
  for (const [k, v] of Object.entries(message.applicationProperties ?? {})) props[k] = toPropertyValue(v);
  const id = message.messageId;
  return {
    body: message.body as unknown,
    messageId: id === undefined ? '' : Buffer.isBuffer(id) ? id.toString('hex') : String(id),
    contentType: message.contentType,
    correlationId: message.correlationId === undefined ? undefined : String(message.correlationId),
    subject: message.subject,
    sessionId: message.sessionId,
    applicationProperties: props,
    sequenceNumber: toNumber(message.sequenceNumber),
    deliveryCount: (message.deliveryCount ?? 0) + 1,
    enqueuedTimeUtc: message.enqueuedTimeUtc ?? new Date(0),
    lockToken: message.lockToken,
    lockedUntilUtc: message.lockedUntilUtc,
    deadLetterReason: message.deadLetterReason,
    deadLetterErrorDescription: message.deadLetterErrorDescription,
    deadLetterSource: message.deadLetterSource,
  };
}

/** Splits `q/$DeadLetterQueue` into the queue and whether the sub-queue is meant (pure). */
export function parseQueueName(queue: string): { entity: string; deadLetter: boolean } {
  return queue.endsWith(DLQ_SUFFIX)
    ? { entity: queue.slice(0, -DLQ_SUFFIX.length), deadLetter: true }
    : { entity: queue, deadLetter: false };
}

function unavailable(err: unknown, what: string): AppError {
  const e = ensureError(err);
  return new AppError('BUS.UNAVAILABLE', `Service Bus ${what} failed: ${e.message}`, {
    retryable: true,
    cause: e,
  });
}

/** Service Bus adapter. Construct from a namespace connection string. */
export class ServiceBusQueue implements QueuePort {
  readonly #client: ServiceBusClient;
  readonly #senders = new Map<string, ServiceBusSender>();
  readonly #receivers = new Map<string, ServiceBusReceiver>();
  readonly #locked = new Map<string, { receiver: ServiceBusReceiver; message: ServiceBusReceivedMessage }>();

  constructor(connectionString: string) {
    if (!connectionString) throw new AppError('BUS.CONFIG', 'A Service Bus connection string is required.');
    this.#client = new ServiceBusClient(connectionString);
  }

  async send(queue: string, messages: OutgoingQueueMessage | OutgoingQueueMessage[]): Promise<void> {
    let sender = this.#senders.get(queue);
    if (!sender) {
      sender = this.#client.createSender(queue);
      this.#senders.set(queue, sender);
    }
    const list = Array.isArray(messages) ? messages : [messages];
    try {
      await sender.sendMessages(list.map(toServiceBusMessage));
    } catch (err) {
      throw unavailable(err, `send to ${queue}`);
    }
  }

  async receive(queue: string, options: ReceiveOptions = {}): Promise<ReceivedQueueMessage[]> {
    const peekLock = options.peekLock ?? true;
    const key = `${queue}|${peekLock ? 'peekLock' : 'receiveAndDelete'}`;
    let receiver = this.#receivers.get(key);
    if (!receiver) {
      const { entity, deadLetter } = parseQueueName(queue);
      receiver = this.#client.createReceiver(entity, {
        receiveMode: peekLock ? 'peekLock' : 'receiveAndDelete',
        ...(deadLetter ? { subQueueType: 'deadLetter' as const } : {}),
      });
      this.#receivers.set(key, receiver);
    }
    let received: ServiceBusReceivedMessage[];
    try {
      received = await receiver.receiveMessages(options.maxMessages ?? 1, {
        maxWaitTimeInMs: Math.max(options.maxWaitMs ?? 0, 1),
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) return [];
      throw unavailable(err, `receive from ${queue}`);
    }
    return received.map((m) => {
      const mapped = fromServiceBusMessage(m);
      if (peekLock && mapped.lockToken)
        this.#locked.set(mapped.lockToken, { receiver: receiver, message: m });
      return mapped;
    });
  }

  #take(message: ReceivedQueueMessage): { receiver: ServiceBusReceiver; message: ServiceBusReceivedMessage } {
    const entry = message.lockToken ? this.#locked.get(message.lockToken) : undefined;
    if (!entry || !message.lockToken) {
      throw new AppError(
        'BUS.LOCK_LOST',
        `Message ${message.messageId} is not locked by this receiver (already settled or received in receive-and-delete mode).`,
        {
          metadata: { messageId: message.messageId },
        },
      );
    }
    this.#locked.delete(message.lockToken);
    return entry;
  }

  async complete(_queue: string, message: ReceivedQueueMessage): Promise<void> {
    const { receiver, message: m } = this.#take(message);
    await receiver.completeMessage(m);
  }

  async abandon(_queue: string, message: ReceivedQueueMessage): Promise<void> {
    const { receiver, message: m } = this.#take(message);
    await receiver.abandonMessage(m);
  }

  async renewLock(_queue: string, message: ReceivedQueueMessage): Promise<Date> {
    const entry = message.lockToken ? this.#locked.get(message.lockToken) : undefined;
    if (!entry) {
      throw new AppError('BUS.LOCK_LOST', `Message ${message.messageId} is not locked by this receiver.`, {
        metadata: { messageId: message.messageId },
      });
    }
    return entry.receiver.renewMessageLock(entry.message);
  }

  async deadLetter(
    _queue: string,
    message: ReceivedQueueMessage,
    options: DeadLetterOptions = {},
  ): Promise<void> {
    const { receiver, message: m } = this.#take(message);
    await receiver.deadLetterMessage(m, {
      deadLetterReason: options.reason ?? 'DeadLettered',
      deadLetterErrorDescription: options.description ?? '',
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#senders.values(), ...this.#receivers.values()].map((s) => s.close()));
    this.#senders.clear();
    this.#receivers.clear();
    await this.#client.close();
  }
}
