/**
 * Service Bus queue triggers on the local host, fed by a {@link QueuePort} (the embedded bus), with
 * the Functions host's default behaviour (https://learn.microsoft.com/azure/azure-functions/functions-bindings-service-bus-trigger):
 * peek-lock receive; the message is completed when the function succeeds and abandoned when it
 * throws (`autoCompleteMessages`), so the queue redelivers it with `deliveryCount` + 1 and
 * dead-letters it after its max delivery count; up to `maxConcurrentCalls` (host.json
 * `extensions.serviceBus.messageHandlerOptions.maxConcurrentCalls`, default 16) messages per
 * function at once; the lock is renewed while the function runs, up to `maxAutoLockRenewalDuration`
 * (default 5 minutes). Trigger metadata carries MessageId, DeliveryCount, EnqueuedTimeUtc,
 * SequenceNumber, LockToken, ContentType, CorrelationId, Subject/Label, SessionId and
 * ApplicationProperties/UserProperties, which the library camel-cases.
 * Topics (`topicName`/`subscriptionName`) read `<topic>/Subscriptions/<subscription>`.
 * `cardinality: 'many'` delivers up to `maxMessageBatchSize` messages in one invocation and settles
 * them together. Sessions (`isSessionsEnabled`) are not honoured: messages arrive in queue order.
 */
import { ensureError } from '../../shared/errors/app-error.js';
import type { QueuePort, ReceivedQueueMessage } from '../../shared/bus/queue.port.js';
import type { RpcTypedData } from '../host-contract.js';
import type { FunctionRegistry, RegisteredFunction } from './registry.js';

/** Default `maxConcurrentCalls` of the Service Bus extension (per function, per instance). */
export const DEFAULT_MAX_CONCURRENT_CALLS = 16;

/** Default `maxAutoLockRenewalDuration` of the Service Bus extension (5 minutes), ms. */
export const DEFAULT_MAX_AUTO_LOCK_RENEWAL_MS = 300_000;

/** Default `maxMessageBatchSize` of the Service Bus extension (for `cardinality: 'many'`). */
export const DEFAULT_MAX_MESSAGE_BATCH_SIZE = 1000;

/** The trigger payload for a batch (`cardinality: 'many'`): bytes as `collectionBytes`, otherwise `collectionString`. */
export function batchBodiesToTypedData(messages: ReceivedQueueMessage[]): RpcTypedData {
  const bodies = messages.map((m) => m.body);
  if (bodies.every((b) => Buffer.isBuffer(b) || b instanceof Uint8Array)) {
    return {
      collectionBytes: { bytes: bodies.map((b) => new Uint8Array(b as Uint8Array)) },
    } as unknown as RpcTypedData;
  }
  const strings = bodies.map((b) =>
    typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('utf8') : JSON.stringify(b ?? null),
  );
  return { collectionString: { string: strings } } as unknown as RpcTypedData;
}

/** Trigger metadata for a batch: each single-message key as `<Key>Array` (the host's naming for batches). */
export function serviceBusBatchTriggerMetadata(
  messages: ReceivedQueueMessage[],
): Record<string, RpcTypedData> {
  const arrays = new Map<string, unknown[]>();
  messages.forEach((m, i) => {
    for (const [k, v] of Object.entries(serviceBusTriggerMetadata(m))) {
      const list = arrays.get(k) ?? new Array<unknown>(messages.length).fill(null);
      const value: unknown =
        typeof v === 'object' && 'json' in v
          ? JSON.parse(v.json)
          : typeof v === 'object' && 'int' in v
            ? v.int
            : null;
      list[i] = value;
      arrays.set(k, list);
    }
  });
  const meta: Record<string, RpcTypedData> = {};
  for (const [k, list] of arrays) meta[`${k}Array`] = { json: JSON.stringify(list) };
  return meta;
}

/** The trigger payload for one message body. */
export function messageBodyToTypedData(body: unknown): RpcTypedData {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return { bytes: new Uint8Array(body) };
  if (typeof body === 'string') return { string: body };
  return { json: JSON.stringify(body ?? null) };
}

/** Trigger metadata the Functions host sends for a Service Bus message (PascalCase keys). */
export function serviceBusTriggerMetadata(message: ReceivedQueueMessage): Record<string, RpcTypedData> {
  const meta: Record<string, RpcTypedData> = {
    MessageId: { json: JSON.stringify(message.messageId) },
    DeliveryCount: { int: message.deliveryCount },
    EnqueuedTimeUtc: { json: JSON.stringify(message.enqueuedTimeUtc.toISOString()) },
    SequenceNumber: { int: message.sequenceNumber },
    ApplicationProperties: { json: JSON.stringify(message.applicationProperties) },
    UserProperties: { json: JSON.stringify(message.applicationProperties) },
  };
  const optional: Record<string, string | undefined> = {
    LockToken: message.lockToken,
    ContentType: message.contentType,
    CorrelationId: message.correlationId,
    Subject: message.subject,
    Label: message.subject,
    SessionId: message.sessionId,
    DeadLetterSource: message.deadLetterSource,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) meta[k] = { json: JSON.stringify(v) };
  if (message.lockedUntilUtc)
    meta.LockedUntilUtc = { json: JSON.stringify(message.lockedUntilUtc.toISOString()) };
  return meta;
}

/** Entity a Service Bus trigger binding listens on, or undefined when the binding names none. */
export function serviceBusEntity(fn: RegisteredFunction): string | undefined {
  const b = fn.trigger.binding;
  if (typeof b.queueName === 'string' && b.queueName) return b.queueName;
  if (typeof b.topicName === 'string' && typeof b.subscriptionName === 'string')
    return `${b.topicName}/Subscriptions/${b.subscriptionName}`;
  return undefined;
}

/** Options for {@link startServiceBusTriggers}. */
export interface ServiceBusTriggerOptions {
  registry: FunctionRegistry;
  queue: QueuePort;
  /** Per function (default 16). */
  maxConcurrentCalls?: number;
  /** The queue's lock duration in ms (default 60 000); locks are renewed at half of it. */
  lockDurationMs?: number;
  /** How long locks are renewed for one invocation, ms (host.json `maxAutoLockRenewalDuration`, default 5 min). */
  maxAutoLockRenewalMs?: number;
  /** Largest batch for `cardinality: 'many'` functions (default 1000). */
  maxMessageBatchSize?: number;
  /** How long one receive waits before checking for stop, ms (default 1000). */
  receiveWaitMs?: number;
}

/** Running Service Bus triggers. */
export interface ServiceBusTriggers {
  readonly functions: string[];
  /** Stops receiving, lets running invocations finish and settles their messages. */
  stop(): Promise<void>;
}

/** Starts one receive loop per `serviceBusTrigger` function. */
export function startServiceBusTriggers(options: ServiceBusTriggerOptions): ServiceBusTriggers {
  const { registry, queue } = options;
  const maxConcurrent = Math.max(1, options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS);
  const abort = new AbortController();
  const loops: Promise<void>[] = [];
  const names: string[] = [];

  const handleBatch = async (
    fn: RegisteredFunction,
    entity: string,
    messages: ReceivedQueueMessage[],
    many: boolean,
  ): Promise<void> => {
    let ok = false;
    const first = messages[0];
    if (!first) return;
    // Auto lock renewal while the function runs (the extension's maxAutoLockRenewalDuration).
    const renewEvery = Math.max(50, Math.floor((options.lockDurationMs ?? 60_000) / 2));
    const renewUntil = Date.now() + (options.maxAutoLockRenewalMs ?? DEFAULT_MAX_AUTO_LOCK_RENEWAL_MS);
    const renewer = setInterval(() => {
      if (Date.now() > renewUntil) return;
      for (const m of messages) {
        queue
          .renewLock(entity, m)
          .catch((err: unknown) =>
            registry.log(
              'warning',
              'system',
              `Renewing the lock on ${m.messageId} failed: ${ensureError(err).message}`,
            ),
          );
      }
    }, renewEvery);
    try {
      if (many)
        await registry.invoke(
          fn.name,
          batchBodiesToTypedData(messages),
          serviceBusBatchTriggerMetadata(messages),
        );
      else
        await registry.invoke(fn.name, messageBodyToTypedData(first.body), serviceBusTriggerMetadata(first));
      ok = true;
    } catch (err) {
      const what = many
        ? `a batch of ${messages.length} messages`
        : `message ${first.messageId} (delivery ${first.deliveryCount})`;
      registry.log(
        'error',
        'system',
        `Service Bus function "${fn.name}" failed for ${what}: ${ensureError(err).message}`,
      );
    } finally {
      clearInterval(renewer);
    }
    for (const message of messages) {
      try {
        if (ok) await queue.complete(entity, message);
        else await queue.abandon(entity, message);
      } catch (err) {
        registry.log(
          'warning',
          'system',
          `Settling message ${message.messageId} on ${entity} failed: ${ensureError(err).message}`,
        );
      }
    }
  };

  for (const fn of registry.functions()) {
    if (fn.trigger.binding.type.toLowerCase() !== 'servicebustrigger') continue;
    const entity = serviceBusEntity(fn);
    if (!entity) {
      registry.log(
        'warning',
        'system',
        `Service Bus function "${fn.name}" names no queue or topic subscription; it will not run.`,
      );
      continue;
    }
    names.push(fn.name);
    const many =
      typeof fn.trigger.binding.cardinality === 'string' &&
      fn.trigger.binding.cardinality.toLowerCase() === 'many';
    const batchSize = Math.max(1, options.maxMessageBatchSize ?? DEFAULT_MAX_MESSAGE_BATCH_SIZE);
    const inFlight = new Set<Promise<void>>();
    const loop = async (): Promise<void> => {
      while (!abort.signal.aborted) {
        if (inFlight.size >= maxConcurrent) {
          await Promise.race(inFlight);
          continue;
        }
        let messages: ReceivedQueueMessage[];
        try {
          messages = await queue.receive(entity, {
            maxMessages: many ? batchSize : maxConcurrent - inFlight.size,
            maxWaitMs: options.receiveWaitMs ?? 1000,
            signal: abort.signal,
          });
        } catch (err) {
          if (abort.signal.aborted) break;
          registry.log('warning', 'system', `Receiving from ${entity} failed: ${ensureError(err).message}`);
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        const units = many ? (messages.length > 0 ? [messages] : []) : messages.map((m) => [m]);
        for (const unit of units) {
          const p = handleBatch(fn, entity, unit, many);
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      }
      await Promise.allSettled([...inFlight]);
    };
    loops.push(loop());
  }

  return {
    functions: names,
    async stop(): Promise<void> {
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}
