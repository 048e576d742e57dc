import { describe, expect, it } from 'vitest';
import { toStoreError } from '../../../shared/store/cosmos/cosmos-errors.js';
import { StoreError } from '../../../shared/store/store-error.js';

describe('toStoreError (Cosmos DB status → store error code)', () => {
  const cases: [number | string, string, boolean][] = [
    [404, 'STORE.NOT_FOUND', false],
    [409, 'STORE.CONFLICT', false],
    [412, 'STORE.CONFLICT', false],
    [400, 'STORE.INVALID', false],
    [413, 'STORE.INVALID', false],
    [408, 'STORE.UNAVAILABLE', true],
    [429, 'STORE.UNAVAILABLE', true],
    [449, 'STORE.UNAVAILABLE', true],
    [503, 'STORE.UNAVAILABLE', true],
    [401, 'STORE.UNAVAILABLE', true],
    ['ECONNREFUSED', 'STORE.UNAVAILABLE', true],
  ];
  for (const [status, code, retryable] of cases) {
    it(`${status} → ${code}`, () => {
      const cause = Object.assign(new Error('cosmos said no'), { code: status });
      const err = toStoreError(cause, 'calls.get', { callId: 'c1' });
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code, retryable, metadata: { where: 'calls.get', callId: 'c1', status } });
      expect(err.cause).toBe(cause);
      expect(err.message).toMatch(/^calls\.get: /);
    });
  }

  it('maps errors without a status to STORE.UNAVAILABLE and passes StoreErrors through', () => {
    expect(toStoreError(new Error('socket hang up'), 'flows.list').code).toBe('STORE.UNAVAILABLE');
    const original = new StoreError('STORE.IMMUTABLE', 'x');
    expect(toStoreError(original, 'flows.publish')).toBe(original);
  });
});
