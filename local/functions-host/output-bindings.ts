/**
 * Output bindings the local host carries out after an invocation, as the Functions host does with
 * the worker's `outputData` / `returnValue`. Supported: `serviceBus` (queue or topic) into the
 * embedded bus; an array value sends one message per element, as the Service Bus output binding
 * does for JavaScript. Other output binding types are reported once at startup
 * ({@link unsupportedBindings}) and ignored.
 */
import type { QueuePort } from '../../shared/bus/queue.port.js';
import type { InvocationResult, RpcTypedData } from '../host-contract.js';
import type { CoreTypedData } from './core-types.js';
import type { OutputBindingHandler, RegisteredFunction } from './registry.js';

/** Trigger types the local host runs. */
export const SUPPORTED_TRIGGERS = new Set([
  'httptrigger',
  'timertrigger',
  'servicebustrigger',
  'orchestrationtrigger',
  'activitytrigger',
  'entitytrigger',
]);
/** Input binding types the local host supplies. */
export const SUPPORTED_INPUTS = new Set(['durableclient', 'orchestrationclient']);
/** Output binding types the local host carries out. */
export const SUPPORTED_OUTPUTS = new Set(['http', 'servicebus']);

/** Converts RpcTypedData to the JavaScript value it carries (JSON parsed, bytes as Buffer). */
export function typedDataToValue(data: RpcTypedData | CoreTypedData | undefined | null): unknown {
  if (!data) return undefined;
  const d = data as CoreTypedData;
  if (typeof d.json === 'string') return JSON.parse(d.json) as unknown;
  if (typeof d.string === 'string') return d.string;
  if (d.bytes) return Buffer.from(d.bytes);
  if (typeof d.int === 'number') return d.int;
  if (typeof d.double === 'number') return d.double;
  if (d.collectionString?.string) return d.collectionString.string;
  if (d.collectionDouble?.double) return d.collectionDouble.double;
  if (d.collectionSint64?.sint64) return d.collectionSint64.sint64;
  if (d.collectionBytes?.bytes) return d.collectionBytes.bytes.map((b) => Buffer.from(b));
  return undefined;
}

/** Bindings of `fn` that the local host neither runs nor supplies, as `name: type (direction)`. */
export function unsupportedBindings(fn: RegisteredFunction): string[] {
  const out: string[] = [];
  for (const [name, b] of Object.entries(fn.bindings)) {
    const type = (b.type ?? '').toLowerCase();
    const ok =
      name === fn.trigger.name
        ? SUPPORTED_TRIGGERS.has(type)
        : b.direction === 'out'
          ? SUPPORTED_OUTPUTS.has(type)
          : SUPPORTED_INPUTS.has(type);
    if (!ok) out.push(`${name}: ${b.type ?? '?'} (${b.direction ?? '?'})`);
  }
  return out;
}

/** Sends Service Bus output binding values of an invocation to `queue`. */
export function createServiceBusOutputHandler(queue: QueuePort): OutputBindingHandler {
  return async (fn: RegisteredFunction, result: InvocationResult): Promise<void> => {
    const outputs: { name: string; data: RpcTypedData | undefined }[] = [...result.outputData];
    if (fn.bindings.$return) outputs.push({ name: '$return', data: result.returnValue });
    for (const { name, data } of outputs) {
      const binding = fn.bindings[name];
      if (!binding || binding.type?.toLowerCase() !== 'servicebus') continue;
      const entity =
        typeof binding.queueName === 'string' && binding.queueName
          ? binding.queueName
          : typeof binding.topicName === 'string'
            ? binding.topicName
            : undefined;
      const value = typedDataToValue(data);
      if (!entity || value === undefined || value === null) continue;
      const bodies = Array.isArray(value) ? (value as unknown[]) : [value];
      if (bodies.length > 0)
        await queue.send(
          entity,
          bodies.map((body) => ({ body })),
        );
    }
  };
}
