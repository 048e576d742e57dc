import type { Container, ItemDefinition, JSONObject, OperationInput } from '@azure/cosmos';
import type { FlowRepository, PublishInput, RollbackInput, SaveDraftInput } from '../flows.port.js';
import type { FlowDraft, FlowPointer, FlowSummary, FlowVersion, PointerChange } from '../model.js';
import {
  checkPublishInput,
  checkRollbackInput,
  checkRollbackTarget,
  nextPublishedVersion,
  withPointerChange,
} from '../flow-pointer.js';
import { StoreError, StoreErrorCode, isStoreError } from '../store-error.js';
import {
  checkFlowDocument,
  checkId,
  checkPositiveInt,
  checkSource,
  checkText,
  timeOrNow,
} from '../validate.js';
import { cosmosStatus, guard, stripSystem, toStoreError } from './cosmos-errors.js';

/**
 * Flows in Cosmos DB, container partitioned by `/flowId` (see infra/cosmos.md). Each flow's
 * partition holds one `draft` item (id `draft`), one `version` item per published version (id
 * `v0000000001`…) and one `pointer` item (id `pointer`). Publishing writes the pointer and the new
 * version in one transactional batch (same partition), so two publishes can never take the same
 * number and a version item is created once and never replaced or deleted.
 */
export class CosmosFlowRepository implements FlowRepository {
  constructor(
    private readonly container: Container,
    private readonly now: () => Date,
  ) {}

  async saveDraft(input: SaveDraftInput): Promise<FlowDraft> {
    const where = 'flows.saveDraft';
    const flowId = checkId(where, 'flowId', input?.flowId);
    const source = checkSource(where, input.source);
    const document = checkFlowDocument(where, flowId, input.document);
    const by = checkText(where, 'by', input.by, 200);
    const at = timeOrNow(where, input.at, this.now);
    if (input.etag !== undefined) checkText(where, 'etag', input.etag, 200);
    return guard(
      where,
      async () => {
        if (input.etag === undefined) {
          const item = {
            id: 'draft',
            type: 'draft',
            flowId,
            source,
            document,
            createdBy: by,
            createdAt: at,
            updatedBy: by,
            updatedAt: at,
          };
          const { resource } = await this.container.items.create(item);
          return toDraft(resource!);
        }
        const { resource: current } = await this.container.item('draft', flowId).read<ItemDefinition>();
        if (!current)
          throw new StoreError(StoreErrorCode.NotFound, `${where}: the flow has no draft`, {
            metadata: { where, flowId },
          });
        const item = {
          ...stripSystem(current),
          id: 'draft',
          type: 'draft',
          flowId,
          source,
          document,
          updatedBy: by,
          updatedAt: at,
        };
        const { resource } = await this.container
          .item('draft', flowId)
          .replace(item, { accessCondition: { type: 'IfMatch', condition: input.etag } });
        return toDraft(resource!);
      },
      { flowId },
    );
  }

  async getDraft(flowId: string): Promise<FlowDraft | undefined> {
    const where = 'flows.getDraft';
    checkId(where, 'flowId', flowId);
    const item = await readOrUndefined(this.container, 'draft', flowId, where);
    return item && toDraft(item);
  }

  async deleteDraft(flowId: string, options: { etag?: string } = {}): Promise<void> {
    const where = 'flows.deleteDraft';
    checkId(where, 'flowId', flowId);
    if (options.etag !== undefined) checkText(where, 'etag', options.etag, 200);
    await guard(
      where,
      async () => {
        await this.container
          .item('draft', flowId)
          .delete(
            options.etag === undefined
              ? {}
              : { accessCondition: { type: 'IfMatch', condition: options.etag } },
          );
      },
      { flowId },
    );
  }

  async publish(input: PublishInput): Promise<FlowVersion> {
    const where = 'flows.publish';
    const { flowId, source, document, by, at, expectedVersion, reason } = checkPublishInput(
      where,
      input,
      this.now,
    );
    for (let attempt = 1; ; attempt++) {
      const pointerItem = await readOrUndefined(this.container, 'pointer', flowId, where);
      const latest = (pointerItem?.latestVersion as number | undefined) ?? 0;
      const version = nextPublishedVersion(where, flowId, latest, expectedVersion);
      const history = withPointerChange(pointerItem?.history as PointerChange[] | undefined, {
        kind: 'publish',
        fromVersion: (pointerItem?.liveVersion as number | undefined) ?? null,
        toVersion: version,
        by,
        at,
        reason,
      });
      const pointer = {
        id: 'pointer',
        type: 'pointer',
        flowId,
        liveVersion: version,
        latestVersion: version,
        updatedBy: by,
        updatedAt: at,
        history,
      };
      const versionItem = {
        id: versionId(version),
        type: 'version',
        flowId,
        version,
        source,
        document: { ...document, version },
        publishedBy: by,
        publishedAt: at,
      };
      // Pointer first: if it lost a race (412/409) the batch stops before the version is created.
      const operations: OperationInput[] = [
        pointerItem
          ? {
              operationType: 'Replace',
              id: 'pointer',
              partitionKey: flowId,
              resourceBody: pointer as unknown as JSONObject,
              ifMatch: pointerItem._etag as string,
            }
          : { operationType: 'Create', partitionKey: flowId, resourceBody: pointer as unknown as JSONObject },
        { operationType: 'Create', partitionKey: flowId, resourceBody: versionItem as unknown as JSONObject },
      ];
      try {
        await runBatch(this.container, operations, flowId, where);
        return toVersion(versionItem);
      } catch (err) {
        if (attempt >= 5) throw err;
        if (isStoreError(err, StoreErrorCode.Conflict)) continue;
        // The SDK rethrows some batch failures without their status: if the pointer moved, we lost a race.
        const now = await readOrUndefined(this.container, 'pointer', flowId, where);
        if ((now?._etag as string | undefined) === (pointerItem?._etag as string | undefined)) throw err;
      }
    }
  }

  async getVersion(flowId: string, version: number): Promise<FlowVersion | undefined> {
    const where = 'flows.getVersion';
    checkId(where, 'flowId', flowId);
    checkPositiveInt(where, 'version', version);
    const item = await readOrUndefined(this.container, versionId(version), flowId, where);
    return item && toVersion(item);
  }

  async listVersions(flowId: string): Promise<FlowVersion[]> {
    const where = 'flows.listVersions';
    checkId(where, 'flowId', flowId);
    const items = await guard(where, async () => {
      const { resources } = await this.container.items
        .query<Record<string, unknown>>(
          {
            query: 'SELECT * FROM c WHERE c.flowId = @flowId AND c.type = "version"',
            parameters: [{ name: '@flowId', value: flowId }],
          },
          { partitionKey: flowId },
        )
        .fetchAll();
      return resources;
    });
    return items.map(toVersion).sort((a, b) => a.version - b.version);
  }

  async getPublished(flowId: string): Promise<FlowVersion | undefined> {
    const where = 'flows.getPublished';
    checkId(where, 'flowId', flowId);
    const pointer = await readOrUndefined(this.container, 'pointer', flowId, where);
    if (!pointer) return undefined;
    const item = await readOrUndefined(
      this.container,
      versionId(pointer.liveVersion as number),
      flowId,
      where,
    );
    return item && toVersion(item);
  }

  async getPointer(flowId: string): Promise<FlowPointer | undefined> {
    const where = 'flows.getPointer';
    checkId(where, 'flowId', flowId);
    const item = await readOrUndefined(this.container, 'pointer', flowId, where);
    return item && toPointer(item);
  }

  async rollback(input: RollbackInput): Promise<FlowPointer> {
    const where = 'flows.rollback';
    const {
      flowId,
      toVersion,
      by,
      at,
      reason,
      etag: expectedEtag,
    } = checkRollbackInput(where, input, this.now);
    for (let attempt = 1; ; attempt++) {
      const pointerItem = await readOrUndefined(this.container, 'pointer', flowId, where);
      if (!pointerItem)
        throw new StoreError(StoreErrorCode.NotFound, `${where}: the flow was never published`, {
          metadata: { where, flowId },
        });
      const pointer = toPointer(pointerItem);
      if (expectedEtag !== undefined && expectedEtag !== pointer.etag)
        throw new StoreError(StoreErrorCode.Conflict, `${where}: the pointer moved since it was read`, {
          metadata: { where, flowId },
        });
      checkRollbackTarget(where, toVersion, pointer.liveVersion);
      const exists = await readOrUndefined(this.container, versionId(toVersion), flowId, where);
      if (!exists)
        throw new StoreError(StoreErrorCode.NotFound, `${where}: version ${toVersion} does not exist`, {
          metadata: { where, flowId, version: toVersion },
        });
      const next = {
        ...stripSystem(pointerItem),
        id: 'pointer',
        type: 'pointer',
        liveVersion: toVersion,
        updatedBy: by,
        updatedAt: at,
        history: withPointerChange(pointer.history, {
          kind: 'rollback',
          fromVersion: pointer.liveVersion,
          toVersion,
          by,
          at,
          reason,
        }),
      };
      try {
        const { resource } = await this.container
          .item('pointer', flowId)
          .replace(next, { accessCondition: { type: 'IfMatch', condition: pointer.etag } });
        return toPointer(resource!);
      } catch (err) {
        const mapped = toStoreError(err, where, { flowId });
        if (mapped.code !== StoreErrorCode.Conflict || expectedEtag !== undefined || attempt >= 5)
          throw mapped;
      }
    }
  }

  async list(): Promise<FlowSummary[]> {
    const where = 'flows.list';
    const items = await guard(where, async () => {
      const { resources } = await this.container.items
        .query<{ flowId: string; type: string; liveVersion?: number; latestVersion?: number }>(
          'SELECT c.flowId, c.type, c.liveVersion, c.latestVersion FROM c WHERE c.type = "pointer" OR c.type = "draft"',
        )
        .fetchAll();
      return resources;
    });
    const byFlow = new Map<string, FlowSummary>();
    for (const item of items) {
      const summary = byFlow.get(item.flowId) ?? { flowId: item.flowId, hasDraft: false };
      if (item.type === 'draft') summary.hasDraft = true;
      else {
        summary.liveVersion = item.liveVersion;
        summary.latestVersion = item.latestVersion;
      }
      byFlow.set(item.flowId, summary);
    }
    return [...byFlow.values()].sort((a, b) => (a.flowId < b.flowId ? -1 : a.flowId > b.flowId ? 1 : 0));
  }
}

/** Item id of version `n`: zero-padded so ids sort like numbers. */
function versionId(n: number): string {
  return `v${String(n).padStart(10, '0')}`;
}

async function readOrUndefined(
  container: Container,
  id: string,
  partitionKey: string,
  where: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { resource } = await container.item(id, partitionKey).read<Record<string, unknown>>();
    return resource ?? undefined;
  } catch (err) {
    if (cosmosStatus(err) === 404) return undefined;
    throw toStoreError(err, where);
  }
}

/** Runs a transactional batch in one partition; any failed operation → the mapped `StoreError` (409/412 → CONFLICT). */
async function runBatch(
  container: Container,
  operations: OperationInput[],
  partitionKey: string,
  where: string,
): Promise<void> {
  const response = await guard(where, () => container.items.batch(operations, partitionKey));
  const failed = (response.result ?? []).find((r) => r.statusCode >= 400 && r.statusCode !== 424);
  if (failed) throw toStoreError({ code: failed.statusCode }, where);
  if (typeof response.code === 'number' && response.code >= 400)
    throw toStoreError({ code: response.code }, where);
}

function toDraft(item: object): FlowDraft {
  return { ...(stripSystem(item) as Omit<FlowDraft, 'etag'>), etag: (item as { _etag: string })._etag };
}

function toVersion(item: object): FlowVersion {
  const { flowId, version, source, document, publishedBy, publishedAt } = item as unknown as FlowVersion;
  return { flowId, version, source, document, publishedBy, publishedAt };
}

function toPointer(item: object): FlowPointer {
  const { flowId, liveVersion, latestVersion, updatedBy, updatedAt, history } =
    item as unknown as FlowPointer;
  return {
    flowId,
    liveVersion,
    latestVersion,
    updatedBy,
    updatedAt,
    history,
    etag: (item as { _etag: string })._etag,
  };
}
