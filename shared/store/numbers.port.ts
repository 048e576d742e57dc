import type { IsoTime, NumberBinding } from './model.js';

/** Input of {@link NumberRepository.bind}. */
export interface BindInput {
  /** E.164: `+` then 2–15 digits, e.g. `+14255550100`. */
  number: string;
  flowId: string;
  by: string;
  at?: IsoTime;
}

/**
 * Number bindings: a dialled E.164 number → the flow id that answers it. A call resolves its
 * number at start and pins the flow's live version. Each bind and unbind is recorded (who, when)
 * in the binding's history.
 *
 * Errors (`StoreError`): `STORE.INVALID` (not E.164, bad flow id), `STORE.NOT_FOUND` (unbind of an
 * unbound number), `STORE.UNAVAILABLE` (retryable).
 */
export interface NumberRepository {
  /** Binds (or rebinds) the number to the flow. */
  bind(input: BindInput): Promise<NumberBinding>;
  /** Removes the binding; the number's history keeps the unbind. */
  unbind(input: { number: string; by: string; at?: IsoTime }): Promise<void>;
  /** The number's binding, or undefined if it is not bound. */
  lookup(number: string): Promise<NumberBinding | undefined>;
  /** Bound numbers (optionally those of one flow), ordered by number. */
  list(options?: { flowId?: string }): Promise<NumberBinding[]>;
}
