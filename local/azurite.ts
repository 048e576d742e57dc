/**
 * Azurite, Microsoft's official Azure Storage emulator (npm `azurite`), run in-process: only its
 * Blob service, bound to 127.0.0.1, persisting under `<dataDir>/azurite/` (Loki metadata files and
 * extents), so voicemail recordings survive a restart of the local stack.
 *
 * The connection string is the documented development-storage one
 * (https://learn.microsoft.com/azure/storage/common/storage-use-azurite#http-connection-strings):
 * account `devstoreaccount1` with Azurite's well-known key, path-style URLs
 * `http://127.0.0.1:PORT/devstoreaccount1/...`. `@azure/storage-blob` uses it unchanged.
 *
 * ```ts
 * const blob = await startAzuriteBlob({ dataDir: '.data' });
 * BlobServiceClient.fromConnectionString(blob.connectionString);
 * await blob.stop();
 * ```
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Azurite's well-known development account (public, documented; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** Azurite's well-known development account key (public, documented; not a secret). */
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Options of {@link startAzuriteBlob}. */
export interface AzuriteBlobOptions {
  /** Folder for Azurite's files (a sub-folder `azurite/` is used). */
  dataDir: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

/** A running in-process Azurite Blob service. */
export interface AzuriteBlob {
  /** `http://127.0.0.1:PORT/devstoreaccount1`. */
  readonly blobEndpoint: string;
  readonly port: number;
  /** Connection string for `@azure/storage-blob` (`RECORDINGS_STORAGE_CONNECTION`). */
  readonly connectionString: string;
  /** Closes the server (data stays on disk). */
  stop(): Promise<void>;
}

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}
type BlobConfigurationCtor = new (...args: unknown[]) => object;
type BlobServerCtor = new (config: object) => AzuriteServer;

/**
 * Starts Azurite's Blob service in this process on 127.0.0.1. Rejects with Node's `EADDRINUSE`
 * error when the port is taken, or Azurite's own error when its data files are unreadable.
 */
export async function startAzuriteBlob(options: AzuriteBlobOptions): Promise<AzuriteBlob> {
  const dir = path.resolve(options.dataDir, 'azurite');
  fs.mkdirSync(dir, { recursive: true });
  // Azurite publishes no programmatic entry point beyond its VS Code extension; its server classes
  // are CommonJS modules under dist/ (the same ones its `azurite-blob` binary builds).
  const require = createRequire(import.meta.url);
  const { default: BlobConfiguration } = require('azurite/dist/src/blob/BlobConfiguration.js') as {
    default: BlobConfigurationCtor;
  };
  const { default: BlobServer } = require('azurite/dist/src/blob/BlobServer.js') as {
    default: BlobServerCtor;
  };
  const config = new BlobConfiguration(
    '127.0.0.1',
    options.port ?? 0,
    undefined, // keepAliveTimeout: default
    path.join(dir, '__azurite_db_blob__.json'),
    path.join(dir, '__azurite_db_blob_extent__.json'),
    [{ locationId: 'Default', locationPath: path.join(dir, '__blobstorage__'), maxConcurrency: 10 }],
    false, // access log
    undefined,
    false, // debug log
    undefined,
    true, // loose: tolerate headers Azurite does not implement
    true, // skipApiVersionCheck: the SDK may be newer than this Azurite
  );
  const server = new BlobServer(config);
  await server.start();
  const port = Number(/:(\d+)$/.exec(server.getHttpServerAddress())?.[1] ?? 0);
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  let stopped: Promise<void> | undefined;
  return {
    blobEndpoint,
    port,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    stop: () => (stopped ??= server.close()),
  };
}
