/**
 * The store contract: one suite every adapter must pass (embedded: test/local/store/embedded.test.ts,
 * Cosmos DB: test/shared/store/cosmos.test.ts). `makeStore` returns a fresh, empty store for each test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord, FlowDocument, NewCallRecord } from '../../../shared/store/model.js';
import { StoreError } from '../../../shared/store/store-error.js';
import type { Store, StoreOptions } from '../../../shared/store/store.port.js';

/** A clock tests can move. */
export class TestClock {
  ms = Date.parse('2026-11-20T10:00:00.000Z');
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Awaits `promise` and returns the `StoreError` it rejected with (fails the test if it resolved). */
export async function storeErrorOf(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError, but the operation succeeded');
}

const doc = (id: string, extra: Record<string, unknown> = {}): FlowDocument => ({
  id,
  start: 'greeting',
  ...extra,
});

const call = (callId: string, extra: Partial<NewCallRecord> = {}): NewCallRecord => ({
  callId,
  from: '+14255550001',
  to: '+14255550100',
  flowId: 'main-menu',
  flowVersion: 1,
  startedAt: '2026-11-20T10:00:00.000Z',
  ...extra,
});

/** Registers the contract suite for one adapter. */
export function storeContract(name: string, makeStore: (options: StoreOptions) => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    let clock: TestClock;

    beforeEach(async () => {
      clock = new TestClock();
      store = await makeStore({ now: clock.now, timelineTtlDays: 7 });
    });
    afterEach(async () => {
      await store.close();
    });

    describe('flows: drafts', () => {
      it('creates a draft, then refuses a second create without the ETag', async () => {
        const draft = await store.flows.saveDraft({
          flowId: 'main-menu',
          source: 'id: main-menu\n',
          document: doc('main-menu'),
          by: 'ana',
        });
        expect(draft).toMatchObject({
          flowId: 'main-menu',
          source: 'id: main-menu\n',
          createdBy: 'ana',
          updatedBy: 'ana',
          createdAt: '2026-11-20T10:00:00.000Z',
        });
        expect(typeof draft.etag).toBe('string');
        expect(await store.flows.getDraft('main-menu')).toEqual(draft);
        const err = await storeErrorOf(
          store.flows.saveDraft({ flowId: 'main-menu', source: 'x', document: doc('main-menu'), by: 'bob' }),
        );
        expect(err.code).toBe('STORE.CONFLICT');
        expect((await store.flows.getDraft('main-menu'))?.source).toBe('id: main-menu\n');
      });

      it('replaces with the current ETag and refuses a stale one without overwriting', async () => {
        const first = await store.flows.saveDraft({
          flowId: 'f1',
          source: 'v1',
          document: doc('f1'),
          by: 'ana',
        });
        clock.advance(1000);
        const second = await store.flows.saveDraft({
          flowId: 'f1',
          source: 'v2',
          document: doc('f1', { n: 2 }),
          by: 'bob',
          etag: first.etag,
        });
        expect(second.etag).not.toBe(first.etag);
        expect(second).toMatchObject({
          source: 'v2',
          createdBy: 'ana',
          updatedBy: 'bob',
          updatedAt: '2026-11-20T10:00:01.000Z',
        });
        expect(second.document).toEqual(doc('f1', { n: 2 }));
        const err = await storeErrorOf(
          store.flows.saveDraft({
            flowId: 'f1',
            source: 'v3',
            document: doc('f1'),
            by: 'eve',
            etag: first.etag,
          }),
        );
        expect(err.code).toBe('STORE.CONFLICT');
        expect(await store.flows.getDraft('f1')).toEqual(second);
      });

      it('reports NOT_FOUND when replacing or deleting a draft that does not exist', async () => {
        expect(
          (
            await storeErrorOf(
              store.flows.saveDraft({
                flowId: 'nope',
                source: '',
                document: doc('nope'),
                by: 'a',
                etag: '"x"',
              }),
            )
          ).code,
        ).toBe('STORE.NOT_FOUND');
        expect((await storeErrorOf(store.flows.deleteDraft('nope'))).code).toBe('STORE.NOT_FOUND');
        expect(await store.flows.getDraft('nope')).toBeUndefined();
      });

      it('deletes a draft only with the current ETag', async () => {
        const draft = await store.flows.saveDraft({
          flowId: 'f2',
          source: 's',
          document: doc('f2'),
          by: 'a',
        });
        const updated = await store.flows.saveDraft({
          flowId: 'f2',
          source: 't',
          document: doc('f2'),
          by: 'a',
          etag: draft.etag,
        });
        expect((await storeErrorOf(store.flows.deleteDraft('f2', { etag: draft.etag }))).code).toBe(
          'STORE.CONFLICT',
        );
        await store.flows.deleteDraft('f2', { etag: updated.etag });
        expect(await store.flows.getDraft('f2')).toBeUndefined();
      });

      it('rejects bad input with where and what, storing nothing', async () => {
        const mismatch = await storeErrorOf(
          store.flows.saveDraft({ flowId: 'f3', source: 's', document: doc('other'), by: 'a' }),
        );
        expect(mismatch.code).toBe('STORE.INVALID');
        expect(mismatch.metadata).toMatchObject({ where: 'flows.saveDraft', field: 'document.id' });
        const noId = await storeErrorOf(
          store.flows.saveDraft({ source: 's', document: doc('f3'), by: 'a' } as never),
        );
        expect(noId.metadata).toMatchObject({ where: 'flows.saveDraft', field: 'flowId' });
        const slash = await storeErrorOf(
          store.flows.saveDraft({ flowId: 'a/b', source: 's', document: doc('a/b'), by: 'a' }),
        );
        expect(slash.code).toBe('STORE.INVALID');
        const badSource = await storeErrorOf(
          store.flows.saveDraft({ flowId: 'f3', source: 42, document: doc('f3'), by: 'a' } as never),
        );
        expect(badSource.metadata).toMatchObject({ field: 'source' });
        const badTime = await storeErrorOf(
          store.flows.saveDraft({ flowId: 'f3', source: 's', document: doc('f3'), by: 'a', at: 'yesterday' }),
        );
        expect(badTime.metadata).toMatchObject({ field: 'at' });
        expect(await store.flows.getDraft('f3')).toBeUndefined();
        expect(await store.flows.list()).toEqual([]);
      });
    });

    describe('flows: published versions and the pointer', () => {
      it('publishes versions 1, 2 with the document stamped and the pointer moved, recording who and when', async () => {
        const v1 = await store.flows.publish({
          flowId: 'main-menu',
          source: 'src 1',
          document: doc('main-menu'),
          by: 'ana',
        });
        clock.advance(60_000);
        const v2 = await store.flows.publish({
          flowId: 'main-menu',
          source: 'src 2',
          document: doc('main-menu', { n: 2 }),
          by: 'bob',
          reason: 'new hours',
        });
        expect(v1).toMatchObject({
          flowId: 'main-menu',
          version: 1,
          source: 'src 1',
          publishedBy: 'ana',
          publishedAt: '2026-11-20T10:00:00.000Z',
        });
        expect(v1.document).toEqual({ ...doc('main-menu'), version: 1 });
        expect(v2).toMatchObject({ version: 2, publishedBy: 'bob', publishedAt: '2026-11-20T10:01:00.000Z' });
        expect(await store.flows.getVersion('main-menu', 1)).toEqual(v1);
        expect(await store.flows.getPublished('main-menu')).toEqual(v2);
        expect(await store.flows.listVersions('main-menu')).toEqual([v1, v2]);
        const pointer = await store.flows.getPointer('main-menu');
        expect(pointer).toMatchObject({
          flowId: 'main-menu',
          liveVersion: 2,
          latestVersion: 2,
          updatedBy: 'bob',
        });
        expect(pointer?.history).toEqual([
          { kind: 'publish', fromVersion: null, toVersion: 1, by: 'ana', at: '2026-11-20T10:00:00.000Z' },
          {
            kind: 'publish',
            fromVersion: 1,
            toVersion: 2,
            by: 'bob',
            at: '2026-11-20T10:01:00.000Z',
            reason: 'new hours',
          },
        ]);
      });

      it('never changes a published version: expectedVersion of an existing version is IMMUTABLE', async () => {
        const v1 = await store.flows.publish({ flowId: 'f', source: 'one', document: doc('f'), by: 'a' });
        const err = await storeErrorOf(
          store.flows.publish({
            flowId: 'f',
            source: 'changed',
            document: doc('f'),
            by: 'a',
            expectedVersion: 1,
          }),
        );
        expect(err.code).toBe('STORE.IMMUTABLE');
        expect(await store.flows.getVersion('f', 1)).toEqual(v1);
        const gap = await storeErrorOf(
          store.flows.publish({ flowId: 'f', source: 'x', document: doc('f'), by: 'a', expectedVersion: 5 }),
        );
        expect(gap.code).toBe('STORE.CONFLICT');
        const v2 = await store.flows.publish({
          flowId: 'f',
          source: 'two',
          document: doc('f'),
          by: 'a',
          expectedVersion: 2,
        });
        expect(v2.version).toBe(2);
        expect(await store.flows.listVersions('f')).toHaveLength(2);
      });

      it('rolls back to an earlier version, records it, and the next publish continues the numbering', async () => {
        await store.flows.publish({ flowId: 'f', source: '1', document: doc('f'), by: 'a' });
        await store.flows.publish({ flowId: 'f', source: '2', document: doc('f'), by: 'a' });
        clock.advance(5_000);
        const pointer = await store.flows.rollback({
          flowId: 'f',
          toVersion: 1,
          by: 'ops',
          reason: 'broken menu',
        });
        expect(pointer).toMatchObject({
          liveVersion: 1,
          latestVersion: 2,
          updatedBy: 'ops',
          updatedAt: '2026-11-20T10:00:05.000Z',
        });
        expect(pointer.history.at(-1)).toEqual({
          kind: 'rollback',
          fromVersion: 2,
          toVersion: 1,
          by: 'ops',
          at: '2026-11-20T10:00:05.000Z',
          reason: 'broken menu',
        });
        expect((await store.flows.getPublished('f'))?.source).toBe('1');
        expect((await store.flows.getVersion('f', 2))?.source).toBe('2');
        const v3 = await store.flows.publish({ flowId: 'f', source: '3', document: doc('f'), by: 'a' });
        expect(v3.version).toBe(3);
        expect((await store.flows.getPointer('f'))?.history.at(-1)).toMatchObject({
          kind: 'publish',
          fromVersion: 1,
          toVersion: 3,
        });
      });

      it('refuses rollbacks that are not to an existing earlier version, or from a stale pointer', async () => {
        expect(
          (await storeErrorOf(store.flows.rollback({ flowId: 'ghost', toVersion: 1, by: 'a' }))).code,
        ).toBe('STORE.NOT_FOUND');
        await store.flows.publish({ flowId: 'f', source: '1', document: doc('f'), by: 'a' });
        const stale = await store.flows.getPointer('f');
        await store.flows.publish({ flowId: 'f', source: '2', document: doc('f'), by: 'a' });
        expect((await storeErrorOf(store.flows.rollback({ flowId: 'f', toVersion: 2, by: 'a' }))).code).toBe(
          'STORE.INVALID',
        );
        expect((await storeErrorOf(store.flows.rollback({ flowId: 'f', toVersion: 0, by: 'a' }))).code).toBe(
          'STORE.INVALID',
        );
        expect(
          (
            await storeErrorOf(
              store.flows.rollback({ flowId: 'f', toVersion: 1, by: 'a', etag: stale!.etag }),
            )
          ).code,
        ).toBe('STORE.CONFLICT');
        expect((await store.flows.getPointer('f'))?.liveVersion).toBe(2);
      });

      it('gives concurrent publishes distinct, consecutive version numbers', async () => {
        const published = await Promise.all(
          [1, 2, 3, 4].map((n) =>
            store.flows.publish({ flowId: 'busy', source: `s${n}`, document: doc('busy'), by: `u${n}` }),
          ),
        );
        expect(published.map((v) => v.version).sort()).toEqual([1, 2, 3, 4]);
        const versions = await store.flows.listVersions('busy');
        expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
        for (const v of published)
          expect((await store.flows.getVersion('busy', v.version))?.source).toBe(v.source);
        expect((await store.flows.getPointer('busy'))?.latestVersion).toBe(4);
      });

      it('lists flows with drafts and published versions', async () => {
        await store.flows.saveDraft({
          flowId: 'b-draft-only',
          source: 's',
          document: doc('b-draft-only'),
          by: 'a',
        });
        await store.flows.publish({ flowId: 'a-live', source: 's', document: doc('a-live'), by: 'a' });
        await store.flows.saveDraft({ flowId: 'a-live', source: 's', document: doc('a-live'), by: 'a' });
        await store.flows.publish({ flowId: 'c-live', source: 's', document: doc('c-live'), by: 'a' });
        expect(await store.flows.list()).toEqual([
          { flowId: 'a-live', liveVersion: 1, latestVersion: 1, hasDraft: true },
          { flowId: 'b-draft-only', hasDraft: true },
          { flowId: 'c-live', liveVersion: 1, latestVersion: 1, hasDraft: false },
        ]);
        expect(await store.flows.getPublished('b-draft-only')).toBeUndefined();
      });
    });

    describe('numbers', () => {
      it('binds, rebinds, looks up and lists, keeping who and when', async () => {
        const first = await store.numbers.bind({ number: '+14255550100', flowId: 'main-menu', by: 'ana' });
        expect(first).toMatchObject({
          number: '+14255550100',
          flowId: 'main-menu',
          boundBy: 'ana',
          boundAt: '2026-11-20T10:00:00.000Z',
        });
        clock.advance(1000);
        await store.numbers.bind({ number: '+14255550100', flowId: 'after-hours', by: 'bob' });
        await store.numbers.bind({ number: '+14255550099', flowId: 'main-menu', by: 'ana' });
        const found = await store.numbers.lookup('+14255550100');
        expect(found).toMatchObject({
          flowId: 'after-hours',
          boundBy: 'bob',
          boundAt: '2026-11-20T10:00:01.000Z',
        });
        expect(found?.history.map((h) => [h.kind, h.flowId, h.by])).toEqual([
          ['bind', 'main-menu', 'ana'],
          ['bind', 'after-hours', 'bob'],
        ]);
        expect((await store.numbers.list()).map((b) => b.number)).toEqual(['+14255550099', '+14255550100']);
        expect((await store.numbers.list({ flowId: 'main-menu' })).map((b) => b.number)).toEqual([
          '+14255550099',
        ]);
        expect(await store.numbers.lookup('+14255550111')).toBeUndefined();
      });

      it('unbinds (recorded), and refuses to unbind an unbound number', async () => {
        await store.numbers.bind({ number: '+14255550100', flowId: 'main-menu', by: 'ana' });
        clock.advance(1000);
        await store.numbers.unbind({ number: '+14255550100', by: 'ops' });
        expect(await store.numbers.lookup('+14255550100')).toBeUndefined();
        expect(await store.numbers.list()).toEqual([]);
        expect((await storeErrorOf(store.numbers.unbind({ number: '+14255550100', by: 'ops' }))).code).toBe(
          'STORE.NOT_FOUND',
        );
        const again = await store.numbers.bind({ number: '+14255550100', flowId: 'main-menu', by: 'ana' });
        expect(again.history.map((h) => h.kind)).toEqual(['bind', 'unbind', 'bind']);
        expect(again.history[1]).toEqual({
          kind: 'unbind',
          flowId: 'main-menu',
          by: 'ops',
          at: '2026-11-20T10:00:01.000Z',
        });
      });

      it('rejects numbers that are not E.164 without echoing them', async () => {
        for (const number of ['2065550123', '+0425', '+1 206 555', '', 42]) {
          const err = await storeErrorOf(store.numbers.bind({ number, flowId: 'f', by: 'a' } as never));
          expect(err.code).toBe('STORE.INVALID');
          expect(err.metadata).toMatchObject({ where: 'numbers.bind', field: 'number' });
          if (typeof number === 'string' && number) expect(err.message).not.toContain(number);
        }
        expect((await storeErrorOf(store.numbers.lookup('nope'))).code).toBe('STORE.INVALID');
        expect(await store.numbers.list()).toEqual([]);
      });
    });

    describe('calls', () => {
      it('creates with defaults, reads back, and refuses a duplicate', async () => {
        const created = await store.calls.create(call('call-1'));
        expect(created).toMatchObject({ ...call('call-1'), path: [], collected: {}, status: 'active' });
        expect(typeof created.etag).toBe('string');
        expect(await store.calls.get('call-1')).toEqual(created);
        expect((await storeErrorOf(store.calls.create(call('call-1', { from: '+19999999999' })))).code).toBe(
          'STORE.CONFLICT',
        );
        expect((await store.calls.get('call-1'))?.from).toBe('+14255550001');
        expect(await store.calls.get('call-unknown')).toBeUndefined();
      });

      it('updates with the ETag; a stale ETag is a CONFLICT and changes nothing', async () => {
        const created = await store.calls.create(call('call-2'));
        const answered = await store.calls.update(
          'call-2',
          {
            answeredAt: '2026-11-20T10:00:01.000Z',
            path: ['greeting'],
            collected: { account: { value: '123456', pii: true } },
          },
          { etag: created.etag },
        );
        expect(answered.etag).not.toBe(created.etag);
        expect(answered).toMatchObject({
          answeredAt: '2026-11-20T10:00:01.000Z',
          path: ['greeting'],
          collected: { account: { value: '123456', pii: true } },
        });
        const err = await storeErrorOf(
          store.calls.update('call-2', { status: 'ended' }, { etag: created.etag }),
        );
        expect(err.code).toBe('STORE.CONFLICT');
        expect(await store.calls.get('call-2')).toEqual(answered);
        const ended = await store.calls.update(
          'call-2',
          {
            status: 'ended',
            endedAt: '2026-11-20T10:02:00.000Z',
            outcome: { kind: 'transferred', target: 'sales', step: 'transfer' },
          },
          { etag: answered.etag },
        );
        expect(ended).toMatchObject({
          status: 'ended',
          outcome: { kind: 'transferred', target: 'sales' },
          path: ['greeting'],
        });
        expect(
          (await storeErrorOf(store.calls.update('call-nope', { status: 'ended' }, { etag: ended.etag })))
            .code,
        ).toBe('STORE.NOT_FOUND');
      });

      it('rejects bad records and changes with where and what, leaving the stored record intact', async () => {
        const created = await store.calls.create(call('call-3'));
        const cases: [unknown, string][] = [
          [{ from: '+1' }, 'changes.from'],
          [{ path: 'greeting' }, 'path'],
          [{ collected: { account: { value: 1, pii: true } } }, 'collected.account'],
          [{ status: 'done' }, 'status'],
          [{ endedAt: 'soon' }, 'endedAt'],
          [{ outcome: { reason: 'x' } }, 'outcome.kind'],
          [{ flowVersion: 0 }, 'flowVersion'],
        ];
        for (const [changes, field] of cases) {
          const err = await storeErrorOf(
            store.calls.update('call-3', changes as never, { etag: created.etag }),
          );
          expect(err.code).toBe('STORE.INVALID');
          expect(err.metadata).toMatchObject({ where: 'calls.update', field });
        }
        expect(await store.calls.get('call-3')).toEqual(created);
        const missing = await storeErrorOf(store.calls.create({ ...call('x'), callId: undefined } as never));
        expect(missing.metadata).toMatchObject({ where: 'calls.create', field: 'callId' });
        const wrongType = await storeErrorOf(
          store.calls.create({ ...call('call-4'), startedAt: 12 } as never),
        );
        expect(wrongType.metadata).toMatchObject({ field: 'startedAt' });
        const noFrom = await storeErrorOf(
          store.calls.create({ ...call('call-4'), from: undefined } as never),
        );
        expect(noFrom.metadata).toMatchObject({ field: 'from' });
        const extra = await storeErrorOf(store.calls.create({ ...call('call-4'), colour: 'red' } as never));
        expect(extra.metadata).toMatchObject({ field: 'colour' });
        expect(await store.calls.get('call-4')).toBeUndefined();
        expect((await store.calls.create(call('call-withheld', { from: '' }))).from).toBe('');
      });

      it('normalises times to UTC with milliseconds', async () => {
        const created = await store.calls.create(call('call-tz', { startedAt: '2026-11-20T11:00:00+01:00' }));
        expect(created.startedAt).toBe('2026-11-20T10:00:00.000Z');
        const updated = await store.calls.update(
          'call-tz',
          { answeredAt: '2026-11-20T10:00:02Z' },
          { etag: created.etag },
        );
        expect((await store.calls.get('call-tz'))?.answeredAt).toBe('2026-11-20T10:00:02.000Z');
        expect(updated.answeredAt).toBe('2026-11-20T10:00:02.000Z');
      });

      it('mutate retries lost races so concurrent changes all land', async () => {
        await store.calls.create(call('call-5'));
        const steps = ['a', 'b', 'c', 'd'];
        await Promise.all(
          steps.map((s) =>
            store.calls.mutate('call-5', (c) => ({ path: [...c.path, s] }), { maxAttempts: 10 }),
          ),
        );
        expect((await store.calls.get('call-5'))?.path.slice().sort()).toEqual(steps);
        expect((await storeErrorOf(store.calls.mutate('call-none', () => ({})))).code).toBe(
          'STORE.NOT_FOUND',
        );
      });

      describe('list', () => {
        const at = (minute: number): string => `2026-11-20T10:${String(minute).padStart(2, '0')}:00.000Z`;
        beforeEach(async () => {
          await store.calls.create(call('c1', { startedAt: at(1), flowId: 'main-menu' }));
          await store.calls.create(call('c2', { startedAt: at(2), flowId: 'support', from: '+14255550002' }));
          await store.calls.create(call('c3', { startedAt: at(3), flowId: 'main-menu', to: '+14255550200' }));
          await store.calls.create(call('c4', { startedAt: at(4), flowId: 'support' }));
          await store.calls.create(call('c5', { startedAt: at(5), flowId: 'main-menu' }));
          await store.calls.create(call('c0', { startedAt: at(5), flowId: 'main-menu' }));
          await store.calls.mutate('c2', () => ({ status: 'ended', outcome: { kind: 'voicemail' } }));
          await store.calls.mutate('c3', () => ({ status: 'ended', outcome: { kind: 'transferred' } }));
          await store.calls.mutate('c4', () => ({ status: 'ended', outcome: { kind: 'transferred' } }));
        });

        const ids = (records: CallRecord[]): string[] => records.map((r) => r.callId);

        it('lists newest first (ties by callId, descending)', async () => {
          expect(ids((await store.calls.list()).items)).toEqual(['c5', 'c0', 'c4', 'c3', 'c2', 'c1']);
        });

        it('pages with opaque continuation tokens, no gaps or repeats', async () => {
          const seen: string[] = [];
          let continuation: string | undefined;
          let pages = 0;
          do {
            const page = await store.calls.list({ limit: 2, ...(continuation ? { continuation } : {}) });
            expect(page.items.length).toBeLessThanOrEqual(2);
            seen.push(...ids(page.items));
            continuation = page.continuation;
            pages++;
          } while (continuation && pages < 10);
          expect(seen).toEqual(['c5', 'c0', 'c4', 'c3', 'c2', 'c1']);
        });

        it('filters by time range, number (from or to), flow, outcome and active', async () => {
          expect(ids((await store.calls.list({ startedFrom: at(2), startedBefore: at(4) })).items)).toEqual([
            'c3',
            'c2',
          ]);
          expect(ids((await store.calls.list({ number: '+14255550002' })).items)).toEqual(['c2']);
          expect(ids((await store.calls.list({ number: '+14255550200' })).items)).toEqual(['c3']);
          expect(ids((await store.calls.list({ flowId: 'support' })).items)).toEqual(['c4', 'c2']);
          expect(ids((await store.calls.list({ outcomeKind: 'transferred' })).items)).toEqual(['c4', 'c3']);
          expect(ids((await store.calls.list({ activeOnly: true })).items)).toEqual(['c5', 'c0', 'c1']);
          expect(
            ids(
              (await store.calls.list({ activeOnly: true, flowId: 'main-menu', startedBefore: at(5) })).items,
            ),
          ).toEqual(['c1']);
        });

        it('pages through a filtered listing', async () => {
          const first = await store.calls.list({ flowId: 'main-menu', limit: 2 });
          expect(first.continuation).toBeDefined();
          const second = await store.calls.list({
            flowId: 'main-menu',
            limit: 2,
            continuation: first.continuation!,
          });
          expect([...ids(first.items), ...ids(second.items)]).toEqual(['c5', 'c0', 'c3', 'c1']);
        });

        it('rejects foreign tokens, tokens for other filters, and bad filters', async () => {
          const first = await store.calls.list({ limit: 2 });
          const other = await storeErrorOf(
            store.calls.list({ limit: 2, flowId: 'support', continuation: first.continuation! }),
          );
          expect(other).toMatchObject({ code: 'STORE.INVALID', metadata: { field: 'continuation' } });
          expect(
            (await storeErrorOf(store.calls.list({ continuation: 'not-a-token' }))).metadata,
          ).toMatchObject({ field: 'continuation' });
          expect((await storeErrorOf(store.calls.list({ limit: 0 }))).metadata).toMatchObject({
            field: 'limit',
          });
          expect((await storeErrorOf(store.calls.list({ startedFrom: 'monday' }))).metadata).toMatchObject({
            field: 'startedFrom',
          });
          expect(
            (await storeErrorOf(store.calls.list({ activeOnly: 'yes' } as never))).metadata,
          ).toMatchObject({ field: 'activeOnly' });
        });
      });
    });

    describe('timelines', () => {
      const event = (at: string, kind: string, data: Record<string, unknown> = {}, seq?: number) => ({
        callId: 'call-t',
        at,
        kind,
        data,
        ...(seq === undefined ? {} : { seq }),
      });

      it('appends single events and batches, listing them in time order', async () => {
        await store.timelines.append(event('2026-11-20T10:00:02.000Z', 'step', { step: 'menu' }));
        const batch = await store.timelines.appendMany([
          event('2026-11-20T10:00:00.000Z', 'notification', { state: 'incoming' }),
          { ...event('2026-11-20T10:00:01.000Z', 'graphRequest', { op: 'answer' }), durationMs: 12.5 },
          { ...event('2026-11-20T10:00:03.000Z', 'outcome', { kind: 'completed' }), callId: 'call-other' },
        ]);
        expect(batch).toHaveLength(3);
        expect(batch.every((e) => typeof e.id === 'string')).toBe(true);
        const listed = await store.timelines.list('call-t');
        expect(listed.map((e) => e.kind)).toEqual(['notification', 'graphRequest', 'step']);
        expect(listed[1]).toMatchObject({
          callId: 'call-t',
          at: '2026-11-20T10:00:01.000Z',
          durationMs: 12.5,
          data: { op: 'answer' },
        });
        expect((await store.timelines.list('call-other')).map((e) => e.kind)).toEqual(['outcome']);
        expect(await store.timelines.list('call-none')).toEqual([]);
      });

      it('orders events with the same time by seq, then append order', async () => {
        const t = '2026-11-20T10:00:00.000Z';
        await store.timelines.append(event(t, 'step', { n: 'no-seq-1' }));
        await store.timelines.append(event(t, 'step', { n: 'seq-2' }, 2));
        await store.timelines.append(event(t, 'step', { n: 'seq-1' }, 1));
        await store.timelines.append(event(t, 'step', { n: 'no-seq-2' }));
        expect((await store.timelines.list('call-t')).map((e) => e.data.n)).toEqual([
          'seq-1',
          'seq-2',
          'no-seq-1',
          'no-seq-2',
        ]);
      });

      it('stores an event with a repeated (kind, seq) once', async () => {
        const first = await store.timelines.append(
          event('2026-11-20T10:00:00.000Z', 'notification', { tone: '1' }, 7),
        );
        const repeat = await store.timelines.append(
          event('2026-11-20T10:00:05.000Z', 'notification', { tone: '1' }, 7),
        );
        expect(repeat).toEqual(first);
        await store.timelines.append(event('2026-11-20T10:00:01.000Z', 'step', { step: 'x' }, 7));
        await store.timelines.appendMany([
          event('2026-11-20T10:00:06.000Z', 'notification', { tone: '1' }, 7),
          event('2026-11-20T10:00:07.000Z', 'notification', { tone: '2' }, 8),
        ]);
        const listed = await store.timelines.list('call-t');
        expect(listed.map((e) => [e.kind, e.seq])).toEqual([
          ['notification', 7],
          ['step', 7],
          ['notification', 8],
        ]);
      });

      it('validates a whole batch before storing any of it', async () => {
        expect((await storeErrorOf(store.timelines.appendMany('x' as never))).metadata).toMatchObject({
          field: 'events',
        });
        const err = await storeErrorOf(
          store.timelines.appendMany([
            event('2026-11-20T10:00:00.000Z', 'step'),
            { ...event('2026-11-20T10:00:00.000Z', 'step'), at: 'later' },
          ]),
        );
        expect(err).toMatchObject({
          code: 'STORE.INVALID',
          metadata: { where: 'timelines.appendMany[1]', field: 'at' },
        });
        expect(await store.timelines.list('call-t')).toEqual([]);
        for (const [bad, field] of [
          [{ ...event('2026-11-20T10:00:00.000Z', 'step'), data: 'text' }, 'data'],
          [{ ...event('2026-11-20T10:00:00.000Z', 'step'), callId: '' }, 'callId'],
          [{ ...event('2026-11-20T10:00:00.000Z', 'step'), seq: -1 }, 'seq'],
          [{ ...event('2026-11-20T10:00:00.000Z', 'step'), durationMs: 'slow' }, 'durationMs'],
          [{ ...event('2026-11-20T10:00:00.000Z', ''), kind: '' }, 'kind'],
        ] as const) {
          expect((await storeErrorOf(store.timelines.append(bad as never))).metadata).toMatchObject({
            where: 'timelines.append',
            field,
          });
        }
      });
    });
  });
}
