/**
 * Function-level retry policies (`retry` in the registration options), as Azure Functions applies
 * them to timer triggers (https://learn.microsoft.com/azure/azure-functions/functions-bindings-error-pages#retry-policies):
 * `fixedDelay` waits `delayInterval` between attempts; `exponentialBackoff` waits
 * `minimumInterval * 2^retryCount`, capped at `maximumInterval`. `maxRetryCount` -1 retries forever.
 * The library converts durations to `{seconds, nanos}` (`toRpcDuration`).
 */
import type { InvocationResult, RpcTypedData } from '../host-contract.js';
import type { CoreRetryOptions } from './core-types.js';
import type { FunctionRegistry } from './registry.js';

function durationMs(d: { seconds?: number | null; nanos?: number | null } | null | undefined): number {
  if (!d) return 0;
  return (d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/** Delay before retry number `retryCount + 1` (0-based `retryCount` of the failed attempt), ms. */
export function retryDelayMs(options: CoreRetryOptions, retryCount: number): number {
  if ((options.retryStrategy ?? '').toLowerCase() === 'exponentialbackoff') {
    const min = durationMs(options.minimumInterval);
    const max = durationMs(options.maximumInterval);
    const delay = min * 2 ** retryCount;
    return max > 0 ? Math.min(delay, max) : delay;
  }
  return durationMs(options.delayInterval);
}

/**
 * Invokes `name`, retrying per its registered retry policy (none: one attempt). `shouldStop` ends
 * retries early (host stopping). Rejects with the last error.
 */
export async function invokeWithRetry(
  registry: FunctionRegistry,
  name: string,
  triggerData: RpcTypedData,
  triggerMetadata?: Record<string, RpcTypedData>,
  shouldStop: () => boolean = () => false,
): Promise<InvocationResult> {
  const policy = registry.get(name)?.retryOptions;
  const max = policy?.maxRetryCount ?? 0;
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await registry.invoke(
        name,
        triggerData,
        triggerMetadata,
        policy ? { retryContext: { retryCount, maxRetryCount: max } } : {},
      );
    } catch (err) {
      if (!policy || (max >= 0 && retryCount >= max) || shouldStop()) throw err;
      await new Promise((r) => setTimeout(r, retryDelayMs(policy, retryCount)));
    }
  }
}
