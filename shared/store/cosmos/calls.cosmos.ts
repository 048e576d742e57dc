import type { Container, PatchOperation, SqlParameter } from '@azure/cosmos';
import { mutateCall } from '../call-mutate.js';
import type { CallRepository } from '../calls.port.js';
import type { CallChanges, CallQuery, CallRecord, NewCallRecord, Page } from '../model.js';
import { StoreError, StoreErrorCode, invalid } from '../store-error.js';
import {
  checkCallChanges,
  checkCallQuery,
  checkId,
  checkNewCall,
  checkText,
  decodeContinuation,
  encodeContinuation,
} from '../validate.js';
import { cosmosStatus, guard, stripSystem, toStoreError } from './cosmos-errors.js';

/**
 * Call records in Cosmos DB, container partitioned by `/callId` (id = callId): every write and
 * point read of a call hits one logical partition. `update` is a single conditional partial update
 * (Cosmos DB patch with If-Match: one round trip, ETag checked by the server). `list` is a
 * cross-partition query ordered by `startedAt DESC, id DESC` (a composite index in
 * infra/cosmos.md); its continuation token wraps the SDK's, bound to the filters.
 */
export class CosmosCallRepository implements CallRepository {
  constructor(private readonly container: Container) {}

  async create(record: NewCallRecord): Promise<CallRecord> {
    const where = 'calls.create';
    const checked = checkNewCall(where, record);
    return guard(
      where,
      async () => {
        const { resource } = await this.container.items.create({ id: checked.callId, ...checked });
        return toRecord(resource!);
      },
      { callId: checked.callId },
    );
  }

  async get(callId: string): Promise<CallRecord | undefined> {
    const where = 'calls.get';
    checkId(where, 'callId', callId);
    try {
      const { resource } = await this.container.item(callId, callId).read<Record<string, unknown>>();
      return resource ? toRecord(resource) : undefined;
    } catch (err) {
      if (cosmosStatus(err) === 404) return undefined;
      throw toStoreError(err, where, { callId });
    }
  }

  async update(callId: string, changes: CallChanges, options: { etag: string }): Promise<CallRecord> {
    const where = 'calls.update';
    checkId(where, 'callId', callId);
    const checked = checkCallChanges(where, changes);
    const etag = checkText(where, 'etag', options?.etag, 200);
    const operations: PatchOperation[] = Object.entries(checked).map(([key, value]) => ({
      op: 'set',
      path: `/${key}`,
      value: value,
    }));
    if (operations.length === 0) {
      const current = await this.get(callId);
      if (!current)
        throw new StoreError(StoreErrorCode.NotFound, `${where}: no call record with this callId`, {
          metadata: { where, callId },
        });
      if (current.etag !== etag)
        throw new StoreError(StoreErrorCode.Conflict, `${where}: changed since it was read (ETag mismatch)`, {
          metadata: { where, callId },
        });
      return current;
    }
    return guard(
      where,
      async () => {
        const { resource } = await this.container
          .item(callId, callId)
          .patch<Record<string, unknown>>(operations, {
            accessCondition: { type: 'IfMatch', condition: etag },
          });
        return toRecord(resource!);
      },
      { callId },
    );
  }

  mutate(
    callId: string,
    change: (current: CallRecord) => CallChanges,
    options: { maxAttempts?: number } = {},
  ): Promise<CallRecord> {
    return mutateCall(this, callId, change, options.maxAttempts);
  }

  async list(query?: CallQuery): Promise<Page<CallRecord>> {
    const where = 'calls.list';
    const q = checkCallQuery(where, query);
    let sdkToken: string | undefined;
    if (q.continuation !== undefined) {
      const position = decodeContinuation(where, q, q.continuation);
      if (typeof position !== 'string')
        throw invalid(where, 'continuation', 'is not a token this store issued');
      sdkToken = position;
    }
    const conditions: string[] = [];
    const parameters: SqlParameter[] = [];
    if (q.startedFrom !== undefined) {
      conditions.push('c.startedAt >= @startedFrom');
      parameters.push({ name: '@startedFrom', value: q.startedFrom });
    }
    if (q.startedBefore !== undefined) {
      conditions.push('c.startedAt < @startedBefore');
      parameters.push({ name: '@startedBefore', value: q.startedBefore });
    }
    if (q.number !== undefined) {
      conditions.push('(c["from"] = @number OR c["to"] = @number)');
      parameters.push({ name: '@number', value: q.number });
    }
    if (q.flowId !== undefined) {
      conditions.push('c.flowId = @flowId');
      parameters.push({ name: '@flowId', value: q.flowId });
    }
    if (q.outcomeKind !== undefined) {
      conditions.push('c.outcome.kind = @outcomeKind');
      parameters.push({ name: '@outcomeKind', value: q.outcomeKind });
    }
    if (q.activeOnly) conditions.push('c.status = "active"');
    const sql = `SELECT * FROM c${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY c.startedAt DESC, c.id DESC`;
    return guard(where, async () => {
      let token = sdkToken;
      // A cross-partition page can come back empty while more follow: keep going (bounded) until items or the end.
      for (let i = 0; i < 20; i++) {
        const iterator = this.container.items.query<Record<string, unknown>>(
          { query: sql, parameters },
          { maxItemCount: q.limit, ...(token === undefined ? {} : { continuationToken: token }) },
        );
        const response = await iterator.fetchNext();
        token = response.continuationToken ?? undefined;
        const items = response.resources.map(toRecord);
        if (items.length > 0 || token === undefined) {
          return token === undefined ? { items } : { items, continuation: encodeContinuation(q, token) };
        }
      }
      return { items: [], continuation: encodeContinuation(q, token) };
    });
  }
}

function toRecord(item: object): CallRecord {
  return { ...(stripSystem(item) as Omit<CallRecord, 'etag'>), etag: (item as { _etag: string })._etag };
}
