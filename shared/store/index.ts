/**
 * The store's public surface: domain types, ports and errors. Adapters are imported from their
 * own modules so that importing types never loads a database driver:
 * `shared/store/cosmos/cosmos.store.ts` (`createCosmosStore`) and `local/store/embedded.store.ts`
 * (`createEmbeddedStore`).
 */
export type * from './model.js';
export type { CallRepository } from './calls.port.js';
export type { FlowRepository, PublishInput, RollbackInput, SaveDraftInput } from './flows.port.js';
export type { BindInput, NumberRepository } from './numbers.port.js';
export type { Store, StoreOptions } from './store.port.js';
export type { TimelineRepository } from './timelines.port.js';
export { StoreError, StoreErrorCode, isStoreError } from './store-error.js';
