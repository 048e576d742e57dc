/**
 * Registers the call activities with Durable Functions (`df.app.activity`). Each invocation
 * resolves the composition root's services through `getServices()` (a cached promise, so cheap)
 * and builds the activity from its factory again whenever those services are a different object
 * than last time (../shared/STYLE.md practice 10). So a host that stops, `resetServices()`, and
 * starts again in the same process (a second `startStack`) gets activities on the new store and
 * Graph client, never the closed ones; within one set of services the built activity (and any
 * per-process cache it holds, e.g. `resolveFlow`'s validated flows) is reused. The activity files
 * export their factories for tests; importing this module registers them all.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { getServices, type Services } from '../../shared/services.js';
import { ActivityName, type ActivityIO } from '../activity-contracts.js';

/** An activity implementation: typed input → output; `log` reports non-fatal problems. */
export type ActivityFn<K extends keyof ActivityIO> = (
  input: ActivityIO[K]['input'],
  log?: ActivityLog,
) => Promise<ActivityIO[K]['output']>;

/** Where activities report problems they tolerate (a timeline write that failed). */
export type ActivityLog = (message: string) => void;

/** The Durable activity handler shape: JSON input and the invocation context (for its warnings). */
export type ActivityHandler = (input: unknown, context: Pick<InvocationContext, 'warn'>) => Promise<unknown>;

/**
 * The handler of one activity: on every invocation it awaits `services()` (default
 * `getServices`) and runs `factory(services)`'s activity, rebuilding it only when the services
 * object changed since the last invocation. Rejects with whatever `services()` rejects with
 * (`CONFIG.INVALID`, `APP.NO_STORE`), which fails the activity (the orchestration's retry policy
 * applies).
 */
export function activityHandler<K extends keyof ActivityIO>(
  factory: (services: Services) => ActivityFn<K>,
  services: () => Promise<Services> = getServices,
): ActivityHandler {
  let builtFor: Services | undefined;
  let built: ActivityFn<K> | undefined;
  return async (input, context) => {
    const current = await services();
    if (built === undefined || builtFor !== current) {
      built = factory(current);
      builtFor = current;
    }
    return built(input as ActivityIO[K]['input'], (m) => context.warn(m));
  };
}

/** Registers activity `name`, built by `factory` from the services current at each invocation. */
export function registerActivity<K extends keyof ActivityIO>(
  name: K,
  factory: (services: Services) => ActivityFn<K>,
): void {
  df.app.activity(ActivityName[name], { handler: activityHandler(factory) });
}
