import type { Agent } from 'node:http';
import {
  CosmosClient,
  type ConnectionPolicy,
  type Container,
  type ContainerRequest,
  type Database,
} from '@azure/cosmos';
import type { Store, StoreOptions } from '../store.port.js';
import { checkText, checkTtlDays } from '../validate.js';
import { guard } from './cosmos-errors.js';
import { CosmosCallRepository } from './calls.cosmos.js';
import { CosmosFlowRepository } from './flows.cosmos.js';
import { CosmosNumberRepository } from './numbers.cosmos.js';
import { CosmosTimelineRepository } from './timelines.cosmos.js';

/** Options of {@link createCosmosStore}. */
export interface CosmosStoreOptions extends StoreOptions {
  /** Account endpoint, e.g. `https://switchboard.documents.azure.com:443/`. */
  endpoint: string;
  /** Account key (from configuration; never logged). */
  key: string;
  databaseId: string;
  /** Container names (defaults `flows`, `numbers`, `calls`, `timelines`). */
  containers?: Partial<Record<'flows' | 'numbers' | 'calls' | 'timelines', string>>;
  /** Creates the database and containers (with the definitions in {@link containerDefinitions}) if missing. Default true. */
  createIfMissing?: boolean;
  /** Passed to `CosmosClient` (retry options, preferred locations, request timeout). */
  connectionPolicy?: Partial<ConnectionPolicy>;
  /** HTTP(S) agent for `CosmosClient`, e.g. a test-only agent that accepts the emulator's self-signed certificate. */
  agent?: Agent;
}

/**
 * The four container definitions, with partition keys and indexing policies justified in
 * infra/cosmos.md. `timelineTtlSeconds` becomes the timelines container's `defaultTtl`.
 */
export function containerDefinitions(
  names: Record<'flows' | 'numbers' | 'calls' | 'timelines', string>,
  timelineTtlSeconds: number,
): Record<'flows' | 'numbers' | 'calls' | 'timelines', ContainerRequest> {
  return {
    flows: {
      id: names.flows,
      partitionKey: { paths: ['/flowId'] },
      indexingPolicy: {
        indexingMode: 'consistent',
        automatic: true,
        includedPaths: [{ path: '/flowId/?' }, { path: '/type/?' }, { path: '/version/?' }],
        excludedPaths: [{ path: '/*' }],
      },
    },
    numbers: {
      id: names.numbers,
      partitionKey: { paths: ['/number'] },
      indexingPolicy: {
        indexingMode: 'consistent',
        automatic: true,
        includedPaths: [{ path: '/bound/?' }, { path: '/flowId/?' }],
        excludedPaths: [{ path: '/*' }],
      },
    },
    calls: {
      id: names.calls,
      partitionKey: { paths: ['/callId'] },
      indexingPolicy: {
        indexingMode: 'consistent',
        automatic: true,
        includedPaths: [
          { path: '/startedAt/?' },
          { path: '/from/?' },
          { path: '/to/?' },
          { path: '/flowId/?' },
          { path: '/status/?' },
          { path: '/outcome/kind/?' },
        ],
        excludedPaths: [{ path: '/*' }],
        compositeIndexes: [
          [
            { path: '/startedAt', order: 'descending' },
            { path: '/id', order: 'descending' },
          ],
        ],
      },
    },
    timelines: {
      id: names.timelines,
      partitionKey: { paths: ['/callId'] },
      defaultTtl: timelineTtlSeconds,
      indexingPolicy: {
        indexingMode: 'consistent',
        automatic: true,
        includedPaths: [{ path: '/callId/?' }],
        excludedPaths: [{ path: '/*' }],
      },
    },
  };
}

/**
 * Opens the Cosmos DB store (production adapter; `@azure/cosmos` v4). Creates the database and
 * containers when missing (unless `createIfMissing: false`) and makes sure the timelines container
 * has TTL on. Throws `STORE.UNAVAILABLE` if the account cannot be reached, `STORE.INVALID` for bad options.
 *
 * @example
 * const store = await createCosmosStore({ endpoint, key, databaseId: 'switchboard', timelineTtlDays: 30 });
 * const binding = await store.numbers.lookup('+14255550100');
 */
export async function createCosmosStore(options: CosmosStoreOptions): Promise<Store> {
  const where = 'createCosmosStore';
  checkText(where, 'endpoint', options?.endpoint, 2000);
  checkText(where, 'key', options.key, 2000);
  checkText(where, 'databaseId', options.databaseId, 255);
  const ttlSeconds = Math.round(checkTtlDays(where, options.timelineTtlDays) * 86_400);
  const now = options.now ?? (() => new Date());
  const names = {
    flows: 'flows',
    numbers: 'numbers',
    calls: 'calls',
    timelines: 'timelines',
    ...options.containers,
  };
  const client = new CosmosClient({
    endpoint: options.endpoint,
    key: options.key,
    ...(options.connectionPolicy ? { connectionPolicy: options.connectionPolicy } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
  });
  const definitions = containerDefinitions(names, ttlSeconds);
  try {
    const containers = await guard(where, async () => {
      let database: Database;
      if (options.createIfMissing === false) database = client.database(options.databaseId);
      else ({ database } = await client.databases.createIfNotExists({ id: options.databaseId }));
      const open = async (kind: keyof typeof definitions): Promise<Container> => {
        if (options.createIfMissing === false) return database.container(names[kind]);
        const { container, resource } = await database.containers.createIfNotExists(definitions[kind]);
        if (kind === 'timelines' && (resource?.defaultTtl === undefined || resource.defaultTtl === null)) {
          // Item `ttl` is ignored while container TTL is off: turn it on for a container made elsewhere.
          await container.replace({ ...resource, id: names.timelines, defaultTtl: ttlSeconds });
        }
        return container;
      };
      return {
        flows: await open('flows'),
        numbers: await open('numbers'),
        calls: await open('calls'),
        timelines: await open('timelines'),
      };
    });
    return {
      flows: new CosmosFlowRepository(containers.flows, now),
      numbers: new CosmosNumberRepository(containers.numbers, now),
      calls: new CosmosCallRepository(containers.calls),
      timelines: new CosmosTimelineRepository(containers.timelines, ttlSeconds),
      close: () => {
        client.dispose();
        return Promise.resolve();
      },
    };
  } catch (err) {
    client.dispose();
    throw err;
  }
}
