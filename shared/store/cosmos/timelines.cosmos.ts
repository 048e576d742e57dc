import { randomUUID } from 'node:crypto';
import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import type { NewTimelineEvent, TimelineEvent } from '../model.js';
import type { TimelineRepository } from '../timelines.port.js';
import { StoreErrorCode, invalid } from '../store-error.js';
import { checkId, checkTimelineEvent, compareTimeline, timelineEventId } from '../validate.js';
import { cosmosStatus, guard, toStoreError } from './cosmos-errors.js';

/** Largest transactional batch Cosmos DB accepts. */
const BATCH_LIMIT = 100;

interface EventItem extends TimelineEvent {
  ord: number;
  ttl: number;
}

/**
 * Call timelines in Cosmos DB, container partitioned by `/callId`: appending and reading one call's
 * timeline stay in one logical partition. Item id = `kind:seq` when the event has a `seq` (a
 * repeat is a 409 we swallow: idempotent appends), else a random id. Each item carries `ttl`
 * (seconds) so events expire `timelineTtlDays` after they were written; the container's
 * `defaultTtl` is set too (item TTL only works when container TTL is on). `list` reads the whole
 * partition (timelines are small) and orders by `at`, `seq`, append order.
 */
export class CosmosTimelineRepository implements TimelineRepository {
  #lastOrd = 0;

  constructor(
    private readonly container: Container,
    private readonly ttlSeconds: number,
  ) {}

  async append(event: NewTimelineEvent): Promise<TimelineEvent> {
    const item = this.toItem(checkTimelineEvent('timelines.append', event));
    return (await this.createIdempotent('timelines.append', item)) ?? strip(item);
  }

  async appendMany(events: NewTimelineEvent[]): Promise<TimelineEvent[]> {
    const where = 'timelines.appendMany';
    if (!Array.isArray(events)) throw invalid(where, 'events', 'must be an array');
    const items = events.map((e, i) => this.toItem(checkTimelineEvent(`${where}[${i}]`, e)));
    const byCall = new Map<string, EventItem[]>();
    for (const item of items) byCall.set(item.callId, [...(byCall.get(item.callId) ?? []), item]);
    const stored = new Map<EventItem, TimelineEvent>();
    for (const [callId, group] of byCall) {
      for (let i = 0; i < group.length; i += BATCH_LIMIT) {
        const chunk = group.slice(i, i + BATCH_LIMIT);
        const operations: OperationInput[] = chunk.map((item) => ({
          operationType: 'Create',
          partitionKey: callId,
          resourceBody: item as unknown as JSONObject,
        }));
        let response: Awaited<ReturnType<Container['items']['batch']>> | undefined;
        try {
          response = await this.container.items.batch(operations, callId);
        } catch {
          response = undefined; // handled below: one idempotent create per event
        }
        const ok =
          response !== undefined &&
          (response.result ?? []).length === chunk.length &&
          (response.result ?? []).every((r) => r.statusCode < 400);
        if (ok) continue;
        // A repeat (409) fails the whole atomic batch: fall back to one idempotent create per event.
        for (const item of chunk) {
          const existing = await this.createIdempotent(where, item);
          if (existing) stored.set(item, existing);
        }
      }
    }
    return items.map((item) => stored.get(item) ?? strip(item));
  }

  async list(callId: string): Promise<TimelineEvent[]> {
    const where = 'timelines.list';
    checkId(where, 'callId', callId);
    const items = await guard(where, async () => {
      const { resources } = await this.container.items
        .query<EventItem>(
          {
            query: 'SELECT * FROM c WHERE c.callId = @callId',
            parameters: [{ name: '@callId', value: callId }],
          },
          { partitionKey: callId },
        )
        .fetchAll();
      return resources;
    });
    return items.sort(compareTimeline).map(strip);
  }

  purgeExpired(): Promise<number> {
    return Promise.resolve(0);
  }

  private toItem(event: NewTimelineEvent): EventItem {
    // Append order within this writer; across writers `at` decides first.
    this.#lastOrd = Math.max(this.#lastOrd + 1, Date.now() * 1000);
    return { ...event, id: timelineEventId(event, randomUUID), ord: this.#lastOrd, ttl: this.ttlSeconds };
  }

  /** Creates the item; if its id exists (a repeated `kind:seq`) returns the stored event instead. */
  private async createIdempotent(where: string, item: EventItem): Promise<TimelineEvent | undefined> {
    try {
      await this.container.items.create(item);
      return undefined;
    } catch (err) {
      if (cosmosStatus(err) !== 409) throw toStoreError(err, where, { callId: item.callId });
    }
    try {
      const { resource } = await this.container.item(item.id, item.callId).read<EventItem>();
      return resource ? strip(resource) : undefined;
    } catch (err) {
      const mapped = toStoreError(err, where, { callId: item.callId });
      if (mapped.code === StoreErrorCode.NotFound) return undefined;
      throw mapped;
    }
  }
}

function strip(item: EventItem | Record<string, unknown>): TimelineEvent {
  const { callId, seq, at, kind, durationMs, data, id } = item as EventItem;
  return {
    id,
    callId,
    ...(seq === undefined || seq === null ? {} : { seq }),
    at,
    kind,
    ...(durationMs === undefined || durationMs === null ? {} : { durationMs }),
    data,
  };
}
