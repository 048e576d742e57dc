/**
 * Registers the call activities with Durable Functions (`df.app.activity`), each built once per
 * host process by its factory from the composition root's services (../shared/STYLE.md
 * practice 10). The activity files export their factories for tests; importing this module
 * registers them all.
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

/** Registers activity `name`, building it with `factory(services)` on first use. */
export function registerActivity<K extends keyof ActivityIO>(
  name: K,
  factory: (services: Services) => ActivityFn<K>,
): void {
  let built: ActivityFn<K> | undefined;
  df.app.activity(ActivityName[name], {
    handler: async (input: unknown, context: InvocationContext) => {
      built ??= factory(await getServices());
      return built(input as ActivityIO[K]['input'], (m) => context.warn(m));
    },
  });
}
