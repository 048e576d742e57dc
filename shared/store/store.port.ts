import type { CallRepository } from './calls.port.js';
import type { FlowRepository } from './flows.port.js';
import type { NumberRepository } from './numbers.port.js';
import type { TimelineRepository } from './timelines.port.js';

/**
 * The store: four repositories behind one handle. Built by `createCosmosStore` (production,
 * `shared/store/cosmos/cosmos.store.ts`) or `createEmbeddedStore` (`npm start` and tests,
 * `local/store/embedded.store.ts`); both honour the same contract (test/shared/store/contract.ts).
 */
export interface Store {
  flows: FlowRepository;
  numbers: NumberRepository;
  calls: CallRepository;
  timelines: TimelineRepository;
  /** Releases connections and files; the store must not be used afterwards. */
  close(): Promise<void>;
}

/** Options both adapters share. */
export interface StoreOptions {
  /** Days timeline events are kept (default 30). */
  timelineTtlDays?: number;
  /** The clock used when an input has no `at` (default: the system clock). */
  now?: () => Date;
}
