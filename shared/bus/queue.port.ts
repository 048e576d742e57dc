/**
 * A queue with Service Bus semantics, as a port: send; receive in peek-lock (the message stays on
 * the queue, locked, until settled) or receive-and-delete; settle with complete / abandon /
 * dead-letter. Two adapters: Azure Service Bus (`service-bus.adapter.ts`, production) and the
 * embedded SQLite queue (`local/bus/`, `npm start` and tests).
 * Semantics follow https://learn.microsoft.com/azure/service-bus-messaging/message-transfers-locks-settlement
 * and https://learn.microsoft.com/azure/service-bus-messaging/service-bus-dead-letter-queues.
 */

/** Application property values Service Bus carries. */
export type QueuePropertyValue = string | number | boolean | null;

/** A message to send. `body` is any JSON-serialisable value, a string or bytes. */
export interface OutgoingQueueMessage {
  body: unknown;
  /** Default: a random UUID. */
  messageId?: string;
  contentType?: string;
  correlationId?: string;
  /** Service Bus `subject` (formerly `label`). */
  subject?: string;
  sessionId?: string;
  applicationProperties?: Record<string, QueuePropertyValue>;
  /** Enqueue later (Service Bus `scheduledEnqueueTimeUtc`). */
  scheduledEnqueueTimeUtc?: Date;
}

/** A received message with the broker's bookkeeping. */
export interface ReceivedQueueMessage {
  body: unknown;
  messageId: string;
  contentType?: string | undefined;
  correlationId?: string | undefined;
  subject?: string | undefined;
  sessionId?: string | undefined;
  applicationProperties: Record<string, QueuePropertyValue>;
  /** Broker-assigned, increasing per queue. */
  sequenceNumber: number;
  /**
   * Deliveries so far, this one included (1 on the first delivery), as the Functions host reports
   * `DeliveryCount` in trigger metadata. Each abandon or lock expiry adds one.
   */
  deliveryCount: number;
  enqueuedTimeUtc: Date;
  /** Present in peek-lock mode: identifies the lock for settlement. */
  lockToken?: string | undefined;
  lockedUntilUtc?: Date | undefined;
  /** On dead-lettered messages. */
  deadLetterReason?: string | undefined;
  deadLetterErrorDescription?: string | undefined;
  deadLetterSource?: string | undefined;
}

/** How to receive. */
export interface ReceiveOptions {
  /** Most messages to return (default 1). */
  maxMessages?: number;
  /** Peek-lock (default true) or receive-and-delete (false). */
  peekLock?: boolean;
  /** How long to wait for a first message, in ms (default 0: return at once). */
  maxWaitMs?: number;
  /** Aborts the wait (resolves with what was received so far, usually nothing). */
  signal?: AbortSignal;
}

/** Why a message is dead-lettered. */
export interface DeadLetterOptions {
  reason?: string;
  description?: string;
}

/** Name of a queue's dead-letter sub-queue (`<queue>/$DeadLetterQueue`, as Service Bus names it). */
export function deadLetterQueueName(queue: string): string {
  return `${queue}/$DeadLetterQueue`;
}

/**
 * The queue port. Errors: `BUS.LOCK_LOST` when settling a message whose lock expired or was
 * already settled; `BUS.INVALID_MESSAGE` for a body that cannot be carried; adapters add
 * `BUS.UNAVAILABLE` (retryable) for transport failures.
 */
export interface QueuePort {
  /** Enqueues one message or several (in order). */
  send(queue: string, messages: OutgoingQueueMessage | OutgoingQueueMessage[]): Promise<void>;
  /** Receives up to `maxMessages`; resolves with an empty array when none arrived within `maxWaitMs`. */
  receive(queue: string, options?: ReceiveOptions): Promise<ReceivedQueueMessage[]>;
  /** Removes a peek-locked message (success). */
  complete(queue: string, message: ReceivedQueueMessage): Promise<void>;
  /** Releases the lock so the message is delivered again (its delivery count grows). */
  abandon(queue: string, message: ReceivedQueueMessage): Promise<void>;
  /**
   * Extends the peek-lock of a message still being processed; resolves with the new lock expiry.
   * Errors: `BUS.LOCK_LOST` when the lock already expired or the message was settled.
   */
  renewLock(queue: string, message: ReceivedQueueMessage): Promise<Date>;
  /** Moves the message to the dead-letter queue {@link deadLetterQueueName}. */
  deadLetter(queue: string, message: ReceivedQueueMessage, options?: DeadLetterOptions): Promise<void>;
  /** Releases connections/files. */
  close(): Promise<void>;
}
