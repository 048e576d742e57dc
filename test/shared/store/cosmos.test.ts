import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CosmosClient } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCosmosStore, type CosmosStoreOptions } from '../../../shared/store/cosmos/cosmos.store.js';
import { storeContract, storeErrorOf } from './contract.js';

// @vercel/cosmosdb-server speaks the Cosmos DB REST protocol over HTTPS with a self-signed
// certificate; only this test's agent accepts it.
const server = createHttpsServer();
const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
let endpoint = '';
let n = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const options = (extra: Partial<CosmosStoreOptions> = {}): CosmosStoreOptions => ({
  endpoint,
  key: 'test-key',
  databaseId: `db${++n}`,
  agent,
  connectionPolicy: { enableEndpointDiscovery: false },
  ...extra,
});

storeContract('Cosmos DB (@azure/cosmos against @vercel/cosmosdb-server)', (storeOptions) =>
  createCosmosStore(options(storeOptions)),
);

describe('Cosmos DB adapter', () => {
  const raw = (): CosmosClient => new CosmosClient({ endpoint, key: 'test-key', agent });

  it('creates the containers with the documented partition keys, indexing and timeline TTL', async () => {
    const opts = options({ timelineTtlDays: 3 });
    const store = await createCosmosStore(opts);
    const db = raw().database(opts.databaseId);
    const read = async (id: string) => (await db.container(id).read()).resource!;
    expect((await read('flows')).partitionKey?.paths).toEqual(['/flowId']);
    expect((await read('numbers')).partitionKey?.paths).toEqual(['/number']);
    const calls = await read('calls');
    expect(calls.partitionKey?.paths).toEqual(['/callId']);
    expect(calls.indexingPolicy?.compositeIndexes?.[0]?.map((p) => p.path)).toEqual(['/startedAt', '/id']);
    const timelines = await read('timelines');
    expect(timelines.partitionKey?.paths).toEqual(['/callId']);
    expect(timelines.defaultTtl).toBe(3 * 86_400);
    await store.close();
  });

  it('writes each timeline item with a ttl in seconds and reads none of the bookkeeping back', async () => {
    const opts = options({ timelineTtlDays: 0.5 });
    const store = await createCosmosStore(opts);
    const event = await store.timelines.append({
      callId: 'c1',
      seq: 1,
      at: '2026-11-20T10:00:00Z',
      kind: 'step',
      data: { step: 'menu' },
    });
    expect(event).toEqual({
      id: 'step:1',
      callId: 'c1',
      seq: 1,
      at: '2026-11-20T10:00:00.000Z',
      kind: 'step',
      data: { step: 'menu' },
    });
    const { resource } = await raw()
      .database(opts.databaseId)
      .container('timelines')
      .item('step:1', 'c1')
      .read<{ ttl: number }>();
    expect(resource?.ttl).toBe(43_200);
    await store.close();
  });

  it('turns TTL on for a timelines container created without it', async () => {
    const opts = options({ timelineTtlDays: 1 });
    const { database } = await raw().databases.createIfNotExists({ id: opts.databaseId });
    await database.containers.createIfNotExists({ id: 'timelines', partitionKey: { paths: ['/callId'] } });
    const store = await createCosmosStore(opts);
    expect((await database.container('timelines').read()).resource?.defaultTtl).toBe(86_400);
    await store.close();
  });

  it('reports an unreachable account as STORE.UNAVAILABLE (retryable)', async () => {
    const closed = https.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await storeErrorOf(
      createCosmosStore(
        options({
          endpoint: `https://127.0.0.1:${port}`,
          connectionPolicy: {
            enableEndpointDiscovery: false,
            requestTimeout: 2000,
            retryOptions: {
              maxRetryAttemptCount: 0,
              fixedRetryIntervalInMilliseconds: 0,
              maxWaitTimeInSeconds: 1,
            },
          },
        }),
      ),
    );
    expect(err).toMatchObject({ code: 'STORE.UNAVAILABLE', retryable: true });
  });
});
