import type { Container } from '@azure/cosmos';
import type { BindingChange, NumberBinding } from '../model.js';
import type { BindInput, NumberRepository } from '../numbers.port.js';
import { StoreError, StoreErrorCode } from '../store-error.js';
import { BINDING_HISTORY_LIMIT, checkE164, checkId, checkText, timeOrNow } from '../validate.js';
import { cosmosStatus, guard, toStoreError } from './cosmos-errors.js';

interface BindingItem {
  id: string;
  number: string;
  bound: boolean;
  flowId: string;
  boundBy: string;
  boundAt: string;
  history: BindingChange[];
  _etag?: string;
}

/**
 * Number bindings in Cosmos DB, container partitioned by `/number`, one item per number (id = the
 * number). Unbinding keeps the item with `bound: false` so its history survives. Writes use If-Match
 * on the item's ETag and retry a lost race, so concurrent binds never drop a history entry.
 */
export class CosmosNumberRepository implements NumberRepository {
  constructor(
    private readonly container: Container,
    private readonly now: () => Date,
  ) {}

  async bind(input: BindInput): Promise<NumberBinding> {
    const where = 'numbers.bind';
    const number = checkE164(where, 'number', input?.number);
    const flowId = checkId(where, 'flowId', input.flowId);
    const by = checkText(where, 'by', input.by, 200);
    const at = timeOrNow(where, input.at, this.now);
    const change: BindingChange = { kind: 'bind', flowId, by, at };
    const item = await this.write(where, number, (current) => ({
      id: number,
      number,
      bound: true,
      flowId,
      boundBy: by,
      boundAt: at,
      history: [...(current?.history ?? []), change].slice(-BINDING_HISTORY_LIMIT),
    }));
    return toBinding(item);
  }

  async unbind(input: { number: string; by: string; at?: string }): Promise<void> {
    const where = 'numbers.unbind';
    const number = checkE164(where, 'number', input?.number);
    const by = checkText(where, 'by', input.by, 200);
    const at = timeOrNow(where, input.at, this.now);
    await this.write(where, number, (current) => {
      if (!current?.bound)
        throw new StoreError(StoreErrorCode.NotFound, `${where}: the number is not bound`, {
          metadata: { where },
        });
      const change: BindingChange = { kind: 'unbind', flowId: current.flowId, by, at };
      return {
        ...current,
        bound: false,
        history: [...current.history, change].slice(-BINDING_HISTORY_LIMIT),
      };
    });
  }

  async lookup(number: string): Promise<NumberBinding | undefined> {
    const where = 'numbers.lookup';
    checkE164(where, 'number', number);
    const item = await this.read(where, number);
    return item?.bound ? toBinding(item) : undefined;
  }

  async list(options: { flowId?: string } = {}): Promise<NumberBinding[]> {
    const where = 'numbers.list';
    if (options.flowId !== undefined) checkId(where, 'flowId', options.flowId);
    const items = await guard(where, async () => {
      const query =
        options.flowId === undefined
          ? { query: 'SELECT * FROM c WHERE c.bound = true' }
          : {
              query: 'SELECT * FROM c WHERE c.bound = true AND c.flowId = @flowId',
              parameters: [{ name: '@flowId', value: options.flowId }],
            };
      const { resources } = await this.container.items.query<BindingItem>(query).fetchAll();
      return resources;
    });
    return items.map(toBinding).sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
  }

  private async read(where: string, number: string): Promise<BindingItem | undefined> {
    try {
      const { resource } = await this.container.item(number, number).read<BindingItem>();
      return resource ?? undefined;
    } catch (err) {
      if (cosmosStatus(err) === 404) return undefined;
      throw toStoreError(err, where);
    }
  }

  /** Read, compute the next item, write with If-Match (or create); retry a lost race up to 5 times. */
  private async write(
    where: string,
    number: string,
    next: (current: BindingItem | undefined) => BindingItem,
  ): Promise<BindingItem> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(where, number);
      const item = next(current);
      const { _etag: _ignored, ...body } = item;
      try {
        const { resource } = current?._etag
          ? await this.container
              .item(number, number)
              .replace<BindingItem>(body, { accessCondition: { type: 'IfMatch', condition: current._etag } })
          : await this.container.items.create<BindingItem>(body);
        return resource!;
      } catch (err) {
        const mapped = toStoreError(err, where);
        if (mapped.code !== StoreErrorCode.Conflict || attempt >= 5) throw mapped;
      }
    }
  }
}

function toBinding(item: BindingItem): NumberBinding {
  return {
    number: item.number,
    flowId: item.flowId,
    boundBy: item.boundBy,
    boundAt: item.boundAt,
    history: item.history,
    etag: item._etag ?? '',
  };
}
