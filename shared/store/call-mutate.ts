import type { CallRepository } from './calls.port.js';
import type { CallChanges, CallRecord } from './model.js';
import { StoreError, StoreErrorCode, invalid, isStoreError } from './store-error.js';

/**
 * The read-modify-write loop behind `CallRepository.mutate`, shared by both adapters: read, apply
 * `change`, update under the ETag read; on `STORE.CONFLICT` start again, up to `maxAttempts` tries.
 * Throws `STORE.NOT_FOUND` for an unknown call and `STORE.CONFLICT` when every attempt lost.
 */
export async function mutateCall(
  calls: Pick<CallRepository, 'get' | 'update'>,
  callId: string,
  change: (current: CallRecord) => CallChanges,
  maxAttempts = 5,
): Promise<CallRecord> {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw invalid('calls.mutate', 'maxAttempts', 'must be a positive integer');
  for (let attempt = 1; ; attempt++) {
    const current = await calls.get(callId);
    if (!current)
      throw new StoreError(StoreErrorCode.NotFound, 'calls.mutate: no call record with this callId', {
        metadata: { where: 'calls.mutate', callId },
      });
    try {
      return await calls.update(callId, change(current), { etag: current.etag });
    } catch (err) {
      if (!isStoreError(err, StoreErrorCode.Conflict) || attempt >= maxAttempts) throw err;
    }
  }
}
